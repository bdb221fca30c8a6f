using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Generation;

/// <summary>
/// Writes a model directory of the target architecture with seeded random weights: real safetensors
/// (streamed, so any size fits), config.json, tokenizer.json and nvembed.json.
/// </summary>
public static class GeneratedModel
{
    // Uniform weights in [-a, a] have standard deviation a / sqrt(3).
    private static readonly float s_sqrt3 = MathF.Sqrt(3);
    private const int ChunkElements = 1 << 18;

    /// <summary>Writes the model described by <paramref name="spec"/> into <paramref name="directory"/> (created if needed).</summary>
    public static void Create(string directory, GeneratedModelSpec spec, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var config = spec.ToConfig();
        config.Validate("generated model spec");
        if (spec.Shards < 1)
        {
            throw new ArgumentException("Shards must be at least 1.", nameof(spec));
        }

        Directory.CreateDirectory(directory);
        var shapes = LlamaOnnxBuilder.ExpectedShapes(config);
        var names = shapes.Keys.ToList();
        var prefix = spec.ModelPrefix ? "model." : string.Empty;
        var totalBytes = shapes.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)) * SafetensorsDTypes.SizeOf(spec.DType);
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"generating {config} ({totalBytes / (1 << 20)} MiB of {SafetensorsDTypes.ToPrecisionName(spec.DType)} weights, seed {spec.Seed}) in {directory}"));

        var shardNames = new List<string>();
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        var perShard = (names.Count + spec.Shards - 1) / spec.Shards;
        for (var s = 0; s < spec.Shards; s++)
        {
            var shardName = spec.Shards == 1
                ? SafetensorsWeights.SingleFileName
                : string.Create(CultureInfo.InvariantCulture, $"model-{s + 1:D5}-of-{spec.Shards:D5}.safetensors");
            var entries = names.Skip(s * perShard).Take(perShard)
                .Select(name => new SafetensorsWriter.Entry(prefix + name, spec.DType, shapes[name], stream => WriteRandom(stream, name, shapes[name], spec)))
                .ToList();
            foreach (var entry in entries)
            {
                weightMap[entry.Name] = shardName;
            }

            SafetensorsWriter.Write(Path.Combine(directory, shardName), entries, new Dictionary<string, string> { ["format"] = "pt" });
            shardNames.Add(shardName);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"wrote {shardName} ({s + 1}/{spec.Shards})"));
        }

        if (spec.Shards > 1)
        {
            WriteIndex(Path.Combine(directory, SafetensorsWeights.IndexFileName), weightMap, totalBytes);
        }

        config.Save(directory, spec.DType switch { SafetensorsDType.F32 => "float32", SafetensorsDType.F16 => "float16", _ => "bfloat16" });
        var tokenizer = spec.TokenizerJsonPath ?? Path.Combine(AppContext.BaseDirectory, "assets", "llama3", "tokenizer.json");
        if (File.Exists(tokenizer))
        {
            File.Copy(tokenizer, Path.Combine(directory, "tokenizer.json"), overwrite: true);
            var tokenizerConfig = Path.Combine(Path.GetDirectoryName(tokenizer)!, "tokenizer_config.json");
            if (File.Exists(tokenizerConfig))
            {
                File.Copy(tokenizerConfig, Path.Combine(directory, "tokenizer_config.json"), overwrite: true);
            }
        }
        else if (spec.TokenizerJsonPath is not null)
        {
            throw new FileNotFoundException($"tokenizer.json to copy was not found at {tokenizer}.", tokenizer);
        }

        new ModelServingSettings
        {
            ServedModelName = spec.ServedModelName,
            MaxTokens = spec.MaxTokens,
            Dimensions = spec.Dimensions,
            Description = spec.Description ?? string.Create(CultureInfo.InvariantCulture,
                $"Generated weights (seed {spec.Seed}), not a trained model: {config}."),
        }.Save(directory);
    }

    private static void WriteRandom(Stream stream, string name, long[] shape, GeneratedModelSpec spec)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var isNorm = name.EndsWith("norm.weight", StringComparison.Ordinal);
        var random = new SplitMix64(spec.Seed ^ StableHash(name));
        var elementSize = SafetensorsDTypes.SizeOf(spec.DType);
        var range = spec.WeightStd * s_sqrt3;
        var floats = ArrayPool<float>.Shared.Rent(ChunkElements);
        var bytes = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
        try
        {
            for (long start = 0; start < count; start += ChunkElements)
            {
                var n = (int)Math.Min(ChunkElements, count - start);
                for (var i = 0; i < n; i++)
                {
                    var u = random.NextSigned();
                    // Norm weights sit around 1 (as trained ones do), with enough spread to matter in tests.
                    floats[i] = isNorm ? 1f + (0.2f * u) : range * u;
                }

                Numerics.FromSingle(spec.DType, floats.AsSpan(0, n), bytes.AsSpan(0, n * elementSize));
                stream.Write(bytes, 0, n * elementSize);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static void WriteIndex(string path, Dictionary<string, string> weightMap, long totalBytes)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalBytes);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, shard) in weightMap.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                json.WriteString(tensor, shard);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        File.WriteAllText(path, Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static ulong StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomised per process, and the weights must not be.
        var hash = 14695981039346656037UL;
        foreach (var ch in text)
        {
            hash = (hash ^ ch) * 1099511628211UL;
        }

        return hash;
    }

    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        /// <summary>Uniform in [-1, 1).</summary>
        public float NextSigned()
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return ((z >> 40) * (1f / (1 << 23))) - 1f;
        }
    }
}
