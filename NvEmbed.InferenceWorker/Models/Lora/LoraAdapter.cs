using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Lora;

/// <summary>
/// A PEFT LoRA adapter (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), merged into
/// the base weights when the graph is built: <c>W += (alpha / r) · B · A</c> (or
/// <c>alpha / sqrt(r)</c> with <c>use_rslora</c>) for each adapted module. Serving only merged
/// weights keeps the graph the same as the base model's.
/// </summary>
public sealed partial class LoraAdapter : IDisposable
{
    private readonly SafetensorsFile _file;
    private readonly Dictionary<string, (SafetensorsTensor A, SafetensorsTensor B)> _modules;

    private LoraAdapter(string directory, SafetensorsFile file, Dictionary<string, (SafetensorsTensor, SafetensorsTensor)> modules, double scale, int rank)
    {
        Directory = directory;
        _file = file;
        _modules = modules;
        Scale = scale;
        Rank = rank;
    }

    /// <summary>The adapter's directory.</summary>
    public string Directory { get; }

    /// <summary>The factor applied to B · A.</summary>
    public double Scale { get; }

    /// <summary>The rank r.</summary>
    public int Rank { get; }

    /// <summary>Names of the base weights the adapter changes (<c>layers.0.self_attn.q_proj.weight</c>, ...).</summary>
    public IEnumerable<string> AdaptedWeights => _modules.Keys;

    /// <summary>Opens the adapter in <paramref name="directory"/>.</summary>
    /// <exception cref="ModelFormatException">Missing files, an unsupported adapter type, or unpaired A/B tensors.</exception>
    public static LoraAdapter Open(string directory)
    {
        var configPath = Path.Combine(directory, "adapter_config.json");
        var weightsPath = Path.Combine(directory, "adapter_model.safetensors");
        if (!File.Exists(configPath) || !File.Exists(weightsPath))
        {
            throw new ModelFormatException($"{directory}: a LoRA adapter needs adapter_config.json and adapter_model.safetensors.");
        }

        int rank;
        double alpha;
        bool rslora;
        HashSet<string>? targets = null;
        Regex? targetPattern = null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            var root = document.RootElement;
            var peftType = root.TryGetProperty("peft_type", out var pt) ? pt.GetString() : "LORA";
            if (!string.Equals(peftType, "LORA", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException($"{configPath}: peft_type '{peftType}' is not supported (LORA is).");
            }

            if (root.TryGetProperty("use_dora", out var dora) && dora.ValueKind == JsonValueKind.True)
            {
                throw new ModelFormatException($"{configPath}: DoRA adapters (use_dora) are not supported.");
            }

            if (root.TryGetProperty("fan_in_fan_out", out var fifo) && fifo.ValueKind == JsonValueKind.True)
            {
                throw new ModelFormatException($"{configPath}: fan_in_fan_out adapters are not supported (Llama projections are nn.Linear).");
            }

            foreach (var pattern in new[] { "rank_pattern", "alpha_pattern" })
            {
                if (root.TryGetProperty(pattern, out var p) && p.ValueKind == JsonValueKind.Object && p.EnumerateObject().Any())
                {
                    throw new ModelFormatException($"{configPath}: per-module {pattern} is not supported.");
                }
            }

            rank = root.TryGetProperty("r", out var r) && r.TryGetInt32(out var ri) && ri > 0
                ? ri
                : throw new ModelFormatException($"{configPath}: 'r' is missing or not a positive integer.");
            alpha = root.TryGetProperty("lora_alpha", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : rank;
            rslora = root.TryGetProperty("use_rslora", out var rs) && rs.ValueKind == JsonValueKind.True;
            if (root.TryGetProperty("target_modules", out var tm))
            {
                if (tm.ValueKind == JsonValueKind.Array)
                {
                    targets = [.. tm.EnumerateArray().Select(e => e.GetString() ?? string.Empty)];
                }
                else if (tm.ValueKind == JsonValueKind.String)
                {
                    targetPattern = new Regex("^(?:" + tm.GetString() + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
            }
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{configPath}: not valid JSON: {ex.Message}", ex);
        }

        var file = SafetensorsFile.Open(weightsPath);
        try
        {
            var halves = new Dictionary<string, (SafetensorsTensor? A, SafetensorsTensor? B)>(StringComparer.Ordinal);
            foreach (var tensor in file.Tensors.Values)
            {
                var match = LoraTensorName().Match(tensor.Name);
                if (!match.Success)
                {
                    continue;
                }

                var module = match.Groups["module"].Value;
                var leaf = module[(module.LastIndexOf('.') + 1)..];
                var moduleName = "layers." + match.Groups["layer"].Value + "." + module;
                if ((targets is not null && !targets.Contains(leaf) && !targets.Contains(moduleName))
                    || (targetPattern is not null && !targetPattern.IsMatch(tensor.Name[..tensor.Name.IndexOf(".lora_", StringComparison.Ordinal)]) && !targetPattern.IsMatch(leaf)))
                {
                    continue;
                }

                var weightName = moduleName + ".weight";
                halves.TryGetValue(weightName, out var pair);
                halves[weightName] = match.Groups["half"].Value == "A" ? (tensor, pair.B) : (pair.A, tensor);
            }

            var modules = new Dictionary<string, (SafetensorsTensor, SafetensorsTensor)>(StringComparer.Ordinal);
            foreach (var (weight, (a, b)) in halves)
            {
                if (a is null || b is null)
                {
                    throw new ModelFormatException($"{weightsPath}: module '{weight}' has lora_{(a is null ? "A" : "B")} missing.");
                }

                if (a.Shape.Length != 2 || b.Shape.Length != 2 || a.Shape[0] != rank || b.Shape[1] != rank)
                {
                    throw new ModelFormatException(
                        $"{weightsPath}: module '{weight}' has lora_A {ModelFormatException.FormatShape(a.Shape)} and lora_B {ModelFormatException.FormatShape(b.Shape)}; expected [{rank}, in] and [out, {rank}].");
                }

                modules[weight] = (a, b);
            }

            if (modules.Count == 0)
            {
                throw new ModelFormatException($"{weightsPath}: no lora_A/lora_B tensors for the target modules.");
            }

            var scale = rslora ? alpha / Math.Sqrt(rank) : alpha / rank;
            return new LoraAdapter(directory, file, modules, scale, rank);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds the adapter's update to <paramref name="weight"/> (row-major <c>[out, in]</c>) when it adapts
    /// <paramref name="weightName"/>; returns whether it did.
    /// </summary>
    /// <exception cref="ModelFormatException">The adapter's shapes do not match the base weight.</exception>
    public bool TryMergeInto(string weightName, Span<float> weight, int rows, int columns)
    {
        if (!_modules.TryGetValue(weightName, out var pair))
        {
            return false;
        }

        if (pair.B.Shape[0] != rows || pair.A.Shape[1] != columns)
        {
            throw new ModelFormatException(string.Create(CultureInfo.InvariantCulture,
                $"LoRA module '{weightName}': B·A is [{pair.B.Shape[0]}, {pair.A.Shape[1]}] but the base weight is [{rows}, {columns}]."));
        }

        var a = new float[pair.A.ElementCount];
        var b = new float[pair.B.ElementCount];
        Numerics.ToSingle(pair.A.DType, _file.GetBytes(pair.A), a);
        Numerics.ToSingle(pair.B.DType, _file.GetBytes(pair.B), b);
        var rank = Rank;
        var row = new double[columns];
        for (var o = 0; o < rows; o++)
        {
            Array.Clear(row);
            for (var k = 0; k < rank; k++)
            {
                var bk = b[(o * rank) + k];
                if (bk == 0)
                {
                    continue;
                }

                var aRow = a.AsSpan(k * columns, columns);
                for (var i = 0; i < columns; i++)
                {
                    row[i] += bk * (double)aRow[i];
                }
            }

            var target = weight.Slice(o * columns, columns);
            for (var i = 0; i < columns; i++)
            {
                target[i] = (float)(target[i] + (Scale * row[i]));
            }
        }

        return true;
    }

    /// <summary>Unmaps the adapter's weights.</summary>
    public void Dispose() => _file.Dispose();

    [GeneratedRegex(@"layers\.(?<layer>\d+)\.(?<module>[A-Za-z0-9_.]+?)\.lora_(?<half>[AB])(?:\.default)?\.weight$", RegexOptions.CultureInvariant)]
    private static partial Regex LoraTensorName();
}
