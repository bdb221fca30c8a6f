using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NvEmbed.InferenceWorker.Models;

/// <summary>
/// The architecture facts of a Llama model, read from a Hugging Face <c>config.json</c>. NvEmbed runs
/// it as a bidirectional encoder (padding mask only), whatever the original attention was.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The file name inside a model directory.</summary>
    public const string FileName = "config.json";

    /// <summary>The architecture written into generated models' config.json (the target model's).</summary>
    public const string BidirectionalArchitecture = "LlamaBidirectionalModel";

    private static readonly string[] s_supportedArchitectures = [BidirectionalArchitecture, "LlamaModel", "LlamaForCausalLM"];

    public required int HiddenSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int IntermediateSize { get; init; }

    public required int VocabSize { get; init; }

    public double RmsNormEps { get; init; } = 1e-5;

    public double RopeTheta { get; init; } = 500000;

    /// <summary>Llama 3 rope scaling, or null for plain rotary embeddings.</summary>
    public LlamaRopeScaling? RopeScaling { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 131072;

    /// <summary>The architecture name from config.json.</summary>
    public string Architecture { get; init; } = BidirectionalArchitecture;

    /// <summary>Checks the sizes fit together.</summary>
    /// <exception cref="ModelFormatException">They do not (the message says which).</exception>
    public void Validate(string source = FileName)
    {
        Require(HiddenSize > 0 && NumLayers > 0 && NumHeads > 0 && NumKeyValueHeads > 0 && HeadDim > 0 && IntermediateSize > 0 && VocabSize > 0,
            "every size must be positive");
        Require(NumHeads % NumKeyValueHeads == 0, $"num_attention_heads {NumHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}");
        Require(HeadDim % 2 == 0, $"head_dim {HeadDim} must be even for rotary embeddings");
        Require(RmsNormEps > 0 && RopeTheta > 0, "rms_norm_eps and rope_theta must be positive");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings must be positive");
        if (RopeScaling is { } s)
        {
            Require(s.Factor > 0 && s.LowFrequencyFactor > 0 && s.HighFrequencyFactor > s.LowFrequencyFactor && s.OriginalMaxPositionEmbeddings > 0,
                "rope_scaling needs factor > 0 and high_freq_factor > low_freq_factor > 0");
        }

        void Require(bool condition, string what)
        {
            if (!condition)
            {
                throw new ModelFormatException($"{source}: {what}.");
            }
        }
    }

    /// <summary>
    /// The rotary inverse frequencies (<c>HeadDim / 2</c> values), with the Llama 3 scaling applied
    /// when configured, computed in double precision.
    /// </summary>
    public double[] ComputeInverseFrequencies()
    {
        var half = HeadDim / 2;
        var inv = new double[half];
        for (var i = 0; i < half; i++)
        {
            inv[i] = 1.0 / Math.Pow(RopeTheta, 2.0 * i / HeadDim);
        }

        if (RopeScaling is not { } s)
        {
            return inv;
        }

        // NOTE: Llama 3 scaling (Hugging Face transformers, rope_type "llama3"): long wavelengths are
        // divided by the factor, short ones kept, and the band between is interpolated.
        var lowWavelength = s.OriginalMaxPositionEmbeddings / s.LowFrequencyFactor;
        var highWavelength = s.OriginalMaxPositionEmbeddings / s.HighFrequencyFactor;
        for (var i = 0; i < half; i++)
        {
            var wavelength = 2 * Math.PI / inv[i];
            if (wavelength > lowWavelength)
            {
                inv[i] /= s.Factor;
            }
            else if (wavelength >= highWavelength)
            {
                var smooth = ((s.OriginalMaxPositionEmbeddings / wavelength) - s.LowFrequencyFactor) / (s.HighFrequencyFactor - s.LowFrequencyFactor);
                inv[i] = ((1 - smooth) * inv[i] / s.Factor) + (smooth * inv[i]);
            }
        }

        return inv;
    }

    /// <summary>Reads <c>config.json</c> from <paramref name="modelDir"/>.</summary>
    /// <exception cref="ModelFormatException">Missing file, an unsupported architecture or missing sizes.</exception>
    public static LlamaConfig Load(string modelDir)
    {
        var path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path))
        {
            throw new ModelFormatException($"{path} is missing.");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return Parse(document.RootElement, path);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{path}: not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses a config.json object.</summary>
    public static LlamaConfig Parse(JsonElement root, string source)
    {
        var architecture = root.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0
            ? archs[0].GetString() ?? string.Empty
            : string.Empty;
        var modelType = root.TryGetProperty("model_type", out var mt) ? mt.GetString() ?? string.Empty : string.Empty;
        if (!s_supportedArchitectures.Contains(architecture) && !(architecture.Length == 0 && modelType.StartsWith("llama", StringComparison.Ordinal)))
        {
            throw new ModelFormatException(
                $"{source}: architecture '{architecture}' (model_type '{modelType}') is not supported; NvEmbed builds {string.Join(", ", s_supportedArchitectures)}.");
        }

        if (root.TryGetProperty("hidden_act", out var act) && act.GetString() is { } activation && activation != "silu")
        {
            throw new ModelFormatException($"{source}: hidden_act '{activation}' is not supported; the Llama MLP uses silu.");
        }

        foreach (var bias in new[] { "attention_bias", "mlp_bias" })
        {
            if (root.TryGetProperty(bias, out var b) && b.ValueKind == JsonValueKind.True)
            {
                throw new ModelFormatException($"{source}: {bias}=true is not supported (Llama 3 has no projection biases).");
            }
        }

        var hidden = RequireInt(root, "hidden_size", source);
        var heads = RequireInt(root, "num_attention_heads", source);
        LlamaRopeScaling? scaling = null;
        if (root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object)
        {
            var type = rs.TryGetProperty("rope_type", out var rt) ? rt.GetString() : rs.TryGetProperty("type", out var t2) ? t2.GetString() : null;
            if (type is not null && type != "llama3" && type != "default")
            {
                throw new ModelFormatException($"{source}: rope_scaling type '{type}' is not supported (llama3 is).");
            }

            if (type == "llama3")
            {
                scaling = new LlamaRopeScaling(
                    RequireDouble(rs, "factor", source),
                    RequireDouble(rs, "low_freq_factor", source),
                    RequireDouble(rs, "high_freq_factor", source),
                    RequireInt(rs, "original_max_position_embeddings", source));
            }
        }

        var config = new LlamaConfig
        {
            Architecture = architecture.Length == 0 ? BidirectionalArchitecture : architecture,
            HiddenSize = hidden,
            NumLayers = RequireInt(root, "num_hidden_layers", source),
            NumHeads = heads,
            NumKeyValueHeads = OptionalInt(root, "num_key_value_heads") ?? heads,
            HeadDim = OptionalInt(root, "head_dim") ?? (heads > 0 ? hidden / heads : 0),
            IntermediateSize = RequireInt(root, "intermediate_size", source),
            VocabSize = RequireInt(root, "vocab_size", source),
            RmsNormEps = OptionalDouble(root, "rms_norm_eps") ?? 1e-5,
            RopeTheta = OptionalDouble(root, "rope_theta") ?? 10000,
            RopeScaling = scaling,
            MaxPositionEmbeddings = OptionalInt(root, "max_position_embeddings") ?? 2048,
        };
        config.Validate(source);
        return config;
    }

    /// <summary>Writes this config as a Hugging Face config.json.</summary>
    public void Save(string modelDir, string torchDtype)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue(Architecture);
            json.WriteEndArray();
            json.WriteString("model_type", "llama");
            json.WriteNumber("hidden_size", HiddenSize);
            json.WriteNumber("num_hidden_layers", NumLayers);
            json.WriteNumber("num_attention_heads", NumHeads);
            json.WriteNumber("num_key_value_heads", NumKeyValueHeads);
            json.WriteNumber("head_dim", HeadDim);
            json.WriteNumber("intermediate_size", IntermediateSize);
            json.WriteNumber("vocab_size", VocabSize);
            json.WriteNumber("rms_norm_eps", RmsNormEps);
            json.WriteNumber("rope_theta", RopeTheta);
            json.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
            if (RopeScaling is { } s)
            {
                json.WriteStartObject("rope_scaling");
                json.WriteString("rope_type", "llama3");
                json.WriteNumber("factor", s.Factor);
                json.WriteNumber("low_freq_factor", s.LowFrequencyFactor);
                json.WriteNumber("high_freq_factor", s.HighFrequencyFactor);
                json.WriteNumber("original_max_position_embeddings", s.OriginalMaxPositionEmbeddings);
                json.WriteEndObject();
            }

            json.WriteString("hidden_act", "silu");
            json.WriteBoolean("attention_bias", false);
            json.WriteBoolean("mlp_bias", false);
            json.WriteBoolean("tie_word_embeddings", false);
            json.WriteString("torch_dtype", torchDtype);
            json.WriteNumber("bos_token_id", 128000);
            json.WriteNumber("eos_token_id", 128001);
            json.WriteEndObject();
        }

        File.WriteAllText(Path.Combine(modelDir, FileName), Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
    }

    private static int RequireInt(JsonElement root, string name, string source) =>
        OptionalInt(root, name) ?? throw new ModelFormatException($"{source}: '{name}' is missing or not an integer.");

    private static double RequireDouble(JsonElement root, string name, string source) =>
        OptionalDouble(root, name) ?? throw new ModelFormatException($"{source}: '{name}' is missing or not a number.");

    private static int? OptionalInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>A one-line summary for logs and progress.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Architecture}: hidden {HiddenSize}, {NumLayers} layers, {NumHeads}/{NumKeyValueHeads} heads × {HeadDim}, MLP {IntermediateSize}, vocab {VocabSize}");
}
