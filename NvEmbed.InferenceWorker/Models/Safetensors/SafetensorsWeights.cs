using System.Text.Json;

namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>
/// The weights of a model directory: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c>. Tensors are looked up by their LlamaModel names
/// (<c>layers.0.self_attn.q_proj.weight</c>), with or without a <c>model.</c> prefix in the files.
/// </summary>
public sealed class SafetensorsWeights : IDisposable
{
    /// <summary>The single-file name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, (SafetensorsFile File, SafetensorsTensor Tensor)> _byName;

    private SafetensorsWeights(List<SafetensorsFile> files)
    {
        _files = files;
        _byName = new Dictionary<string, (SafetensorsFile, SafetensorsTensor)>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var tensor in file.Tensors.Values)
            {
                var name = tensor.Name.StartsWith("model.", StringComparison.Ordinal) ? tensor.Name["model.".Length..] : tensor.Name;
                _byName[name] = (file, tensor);
            }
        }
    }

    /// <summary>Tensor names as looked up (without a <c>model.</c> prefix).</summary>
    public IEnumerable<string> Names => _byName.Keys;

    /// <summary>True when <paramref name="modelDir"/> has safetensors weights.</summary>
    public static bool Exists(string modelDir) =>
        File.Exists(Path.Combine(modelDir, SingleFileName)) || File.Exists(Path.Combine(modelDir, IndexFileName));

    /// <summary>Opens the weights of <paramref name="modelDir"/>.</summary>
    /// <exception cref="ModelFormatException">No weights, a broken index, a missing shard or a broken file.</exception>
    public static SafetensorsWeights Open(string modelDir)
    {
        var single = Path.Combine(modelDir, SingleFileName);
        var index = Path.Combine(modelDir, IndexFileName);
        var files = new List<SafetensorsFile>();
        try
        {
            if (File.Exists(index))
            {
                foreach (var shard in ReadShardNames(index))
                {
                    var shardPath = Path.Combine(modelDir, shard);
                    if (!File.Exists(shardPath))
                    {
                        throw new ModelFormatException($"{index} lists shard '{shard}', which is missing.");
                    }

                    files.Add(SafetensorsFile.Open(shardPath));
                }
            }
            else if (File.Exists(single))
            {
                files.Add(SafetensorsFile.Open(single));
            }
            else
            {
                throw new ModelFormatException($"{modelDir}: neither {SingleFileName} nor {IndexFileName} is there.");
            }

            return new SafetensorsWeights(files);
        }
        catch
        {
            foreach (var file in files)
            {
                file.Dispose();
            }

            throw;
        }
    }

    /// <summary>The tensor <paramref name="name"/> as stored (any shape), or null.</summary>
    public SafetensorsTensor? Find(string name) => _byName.TryGetValue(name, out var found) ? found.Tensor : null;

    /// <summary>True when the weights hold <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The tensor <paramref name="name"/>, checked against <paramref name="expectedShape"/>.</summary>
    /// <exception cref="ModelFormatException">Missing, or of another shape (both shapes in the message).</exception>
    public SafetensorsTensor Get(string name, ReadOnlySpan<long> expectedShape)
    {
        if (!_byName.TryGetValue(name, out var found))
        {
            throw new ModelFormatException($"Tensor '{name}' is missing from the weights (expected shape {ModelFormatException.FormatShape(expectedShape)}).");
        }

        if (!found.Tensor.Shape.AsSpan().SequenceEqual(expectedShape))
        {
            throw new ModelFormatException(
                $"Tensor '{name}' has shape {ModelFormatException.FormatShape(found.Tensor.Shape)} but the config needs {ModelFormatException.FormatShape(expectedShape)}.");
        }

        return found.Tensor;
    }

    /// <summary>The dtype most tensors are stored in (the model's native precision).</summary>
    public SafetensorsDType PredominantDType =>
        _byName.Values.GroupBy(v => v.Tensor.DType).OrderByDescending(g => g.Sum(v => v.Tensor.ByteLength)).Select(g => g.Key).FirstOrDefault();

    /// <summary>The raw bytes of <paramref name="tensor"/> (from the mapping, no copy).</summary>
    public ReadOnlySpan<byte> GetBytes(SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var name = tensor.Name.StartsWith("model.", StringComparison.Ordinal) ? tensor.Name["model.".Length..] : tensor.Name;
        return _byName[name].File.GetBytes(tensor);
    }

    /// <summary>Reads tensor <paramref name="name"/> as float32 (a copy: use for small tensors and for merges).</summary>
    public float[] ReadSingle(string name, ReadOnlySpan<long> expectedShape)
    {
        var tensor = Get(name, expectedShape);
        var values = new float[tensor.ElementCount];
        Numerics.ToSingle(tensor.DType, GetBytes(tensor), values);
        return values;
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }

    private static List<string> ReadShardNames(string index)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{index}: no weight_map object.");
            }

            var shards = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shard = entry.Value.GetString();
                if (string.IsNullOrEmpty(shard) || shard.Contains('/') || shard.Contains('\\') || shard.Contains(".."))
                {
                    throw new ModelFormatException($"{index}: tensor '{entry.Name}' maps to an invalid shard name '{shard}'.");
                }

                shards.Add(shard);
            }

            return [.. shards];
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{index}: not valid JSON: {ex.Message}", ex);
        }
    }
}
