using System.Collections.Concurrent;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>
/// One tiny generated fp32 model (GQA 4/2 heads, llama3 rope scaling) shared by the numerical checks:
/// its reference forward pass and one built graph per (precision, variant), created on first use.
/// </summary>
public sealed class TinyModelFixture : IDisposable
{
    public static readonly GeneratedModelSpec Spec = new()
    {
        HiddenSize = 64,
        NumLayers = 2,
        NumHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        IntermediateSize = 128,
        VocabSize = 512,
        DType = SafetensorsDType.F32,
        MaxTokens = 2048,
        Seed = 7,
        WeightStd = 0.125f, // 1/sqrt(hidden): attention is sharp and every layer changes the output
    };

    private readonly TempDirectory _root = new();
    private readonly ConcurrentDictionary<string, OnnxBackend> _backends = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, double[]> _references = new();
    private readonly Lazy<ReferenceLlamaEncoder> _reference;
    private readonly Lock _gate = new();

    public TinyModelFixture()
    {
        SourceDirectory = _root.Combine("source");
        GeneratedModel.Create(SourceDirectory, Spec);
        _reference = new Lazy<ReferenceLlamaEncoder>(() => ReferenceLlamaEncoder.Load(SourceDirectory));
    }

    public string SourceDirectory { get; }

    public ReferenceLlamaEncoder Reference => _reference.Value;

    /// <summary>The reference embedding of <see cref="IdsOfLength"/>.</summary>
    public double[] ReferenceEmbedding(int length) => _references.GetOrAdd(length, l => Reference.Embed(IdsOfLength(l)));

    public static long[] IdsOfLength(int length) => VectorMath.RandomIds(length, Spec.VocabSize, seed: length);

    /// <summary>A backend over a graph built from the model in <paramref name="precision"/> with <paramref name="variant"/>.</summary>
    public OnnxBackend Backend(string precision, GraphVariant variant)
    {
        lock (_gate)
        {
            return _backends.GetOrAdd(precision + "-" + variant, key =>
            {
                var model = ModelDirectory.Open(ModelFiles.CopyOf(SourceDirectory, _root.Combine(key)));
                return OnnxBackend.Open(model, new OnnxBackendOptions { Precision = precision, GraphVariant = variant, IntraOpThreads = 2 });
            });
        }
    }

    /// <summary>Runs one sequence alone through <paramref name="backend"/>.</summary>
    public static float[] EmbedAlone(OnnxBackend backend, long[] ids)
    {
        var pooled = new float[backend.Info.HiddenSize];
        backend.Run(new BackendBatch(1, ids.Length, ids, new[] { ids.Length }), pooled);
        return pooled;
    }

    /// <summary>The built graph's path for <paramref name="precision"/> and <paramref name="variant"/> (built on first use).</summary>
    public string GraphPath(string precision, GraphVariant variant) => Backend(precision, variant).ModelPath;

    public void Dispose()
    {
        foreach (var backend in _backends.Values)
        {
            backend.Dispose();
        }

        _root.Dispose();
    }
}
