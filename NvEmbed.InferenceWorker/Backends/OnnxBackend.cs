using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// Runs an embedding model with ONNX Runtime on the CPU or a CUDA GPU. Opens a graph built from
/// the model directory's safetensors (building it first when missing or stale) or a ready-made ONNX
/// model in the NIM custom or Hugging Face export convention. Inputs and outputs are bound with
/// IOBinding to buffers this backend keeps, so each run copies ids in and vectors out once.
/// </summary>
public sealed class OnnxBackend : IEmbeddingBackend
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly OnnxModelKind _kind;
    private readonly string _idsName;
    private readonly string _maskName;
    private readonly bool _ids32;
    private readonly bool _mask32;
    private readonly string? _dimensionsName;
    private readonly long[]? _dimensionsShape;
    private readonly bool _dimensions32;
    private readonly string _outputName;
    private readonly int _vocabSize;
    private float[] _output = [];

    private OnnxBackend(InferenceSession session, OnnxModelKind kind, BackendInfo info, int vocabSize, string modelPath)
    {
        _session = session;
        _binding = session.CreateIoBinding();
        _kind = kind;
        _vocabSize = vocabSize;
        Info = info;
        ModelPath = modelPath;

        var inputs = session.InputMetadata;
        _idsName = inputs.ContainsKey("input_ids") ? "input_ids" : inputs.Keys.First();
        _maskName = inputs.ContainsKey("attention_mask") ? "attention_mask" : throw new ModelFormatException($"{modelPath}: the model has no attention_mask input (inputs: {string.Join(", ", inputs.Keys)}).");
        _ids32 = IsInt32(inputs[_idsName], _idsName, modelPath);
        _mask32 = IsInt32(inputs[_maskName], _maskName, modelPath);
        var unknown = inputs.Keys.Where(k => k != _idsName && k != _maskName && k != "dimensions").ToList();
        if (unknown.Count > 0)
        {
            throw new ModelFormatException($"{modelPath}: the model has inputs NvEmbed cannot feed: {string.Join(", ", unknown)} (expected input_ids, attention_mask[, dimensions]).");
        }

        if (kind == OnnxModelKind.NimCustom)
        {
            _dimensionsName = "dimensions";
            var meta = inputs["dimensions"];
            _dimensions32 = IsInt32(meta, "dimensions", modelPath);
            _dimensionsShape = meta.Dimensions.Length == 0 ? [] : [1];
        }

        _outputName = kind == OnnxModelKind.HuggingFaceExport ? "last_hidden_state" : LlamaOnnxBuilder.EmbeddingsOutput;
    }

    /// <inheritdoc />
    public BackendInfo Info { get; }

    /// <summary>The ONNX model file this backend runs.</summary>
    public string ModelPath { get; }

    /// <summary>The convention the model follows.</summary>
    public OnnxModelKind Kind => _kind;

    /// <summary>
    /// Opens <paramref name="model"/>: its ready-made or built onnx/ (building it from the safetensors
    /// when missing or built differently from what <paramref name="options"/> ask), or
    /// <see cref="OnnxBackendOptions.CustomModelPath"/>.
    /// </summary>
    /// <exception cref="ModelFormatException">The model cannot be served (the message says why).</exception>
    /// <exception cref="InvalidOperationException">The execution provider cannot be used (the message says why).</exception>
    public static OnnxBackend Open(ModelDirectory model, OnnxBackendOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var env = OrtRuntime.EnsureInitialized();
        var provider = options.ExecutionProvider.ToLowerInvariant();
        if (provider is not ("cpu" or "cuda"))
        {
            throw new ArgumentException($"Execution provider '{options.ExecutionProvider}' is not supported: use cpu or cuda.", nameof(options));
        }

        var modelPath = ResolveModelPath(model, options, progress);
        using var sessionOptions = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.ResolvedIntraOpThreads,
            InterOpNumThreads = 1,

            // Every batch has a new shape (rows × longest row). With the memory-pattern cache and
            // the CPU arena on, a 10-minute mixed load grew the worker from 594 to 1080 MiB, and one
            // 8192-token batch (~10 GB of attention scores) stayed resident; with both off a 150 s
            // run went 636 -> 522 MiB at the same throughput (scheduler benchmark, this repo).
            EnableMemoryPattern = false,
            EnableCpuMemArena = false,
        };
        if (provider == "cuda")
        {
            var devices = OrtRuntime.GetCudaDevices();
            if (options.DeviceId < 0 || options.DeviceId >= devices.Count)
            {
                throw new InvalidOperationException($"CUDA device {options.DeviceId} does not exist; the provider found {devices.Count}.");
            }

            sessionOptions.AppendExecutionProvider(env, [devices[options.DeviceId]], new Dictionary<string, string>());
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFormatException($"{modelPath}: ONNX Runtime cannot load the model: {ex.Message}", ex);
        }

        try
        {
            var kind = DetectKind(session, modelPath);
            var hidden = HiddenSizeOf(session, kind, model, modelPath);
            var manifest = options.CustomModelPath is null ? OnnxBuildManifest.TryLoad(model.OnnxDirectory) : null;
            var maxTokens = manifest is null ? model.Settings.MaxTokens : Math.Min(model.Settings.MaxTokens, manifest.MaxPositions);
            var precision = manifest?.Precision ?? PrecisionOf(session);
            var info = new BackendInfo(hidden, maxTokens, precision, provider, OutputsNormalized: true);
            return new OnnxBackend(session, kind, info, model.Config?.VocabSize ?? 0, modelPath);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Run(BackendBatch batch, Span<float> pooled)
    {
        var rows = batch.Rows;
        var length = batch.SequenceLength;
        var hidden = Info.HiddenSize;
        Validate(batch, pooled.Length);

        var count = rows * length;
        var ids = batch.InputIds.Span;
        var lengths = batch.Lengths.Span;
        long[] shape = [rows, length];
        // int64 ids are bound where the caller holds them (ONNX Runtime only reads inputs); int32 models need a narrowed copy.
        using var idsValue = _ids32
            ? CreateInt32(ids, shape)
            : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(batch.InputIds), shape);
        using var maskValue = CreateMask(lengths, rows, length, shape);
        using var dimensionsValue = _dimensionsName is null ? null : CreateDimensions();

        var outputCount = _kind == OnnxModelKind.HuggingFaceExport ? (long)count * hidden : (long)rows * hidden;
        if (_output.LongLength < outputCount)
        {
            _output = new float[outputCount];
        }

        long[] outputShape = _kind == OnnxModelKind.HuggingFaceExport ? [rows, length, hidden] : [rows, hidden];
        using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _output.AsMemory(0, (int)outputCount), outputShape);
        _binding.BindInput(_idsName, idsValue);
        _binding.BindInput(_maskName, maskValue);
        if (dimensionsValue is not null)
        {
            _binding.BindInput(_dimensionsName!, dimensionsValue);
        }

        _binding.BindOutput(_outputName, outputValue);
        try
        {
            _session.RunWithBinding(_runOptions, _binding);
            _binding.SynchronizeBoundOutputs();
        }
        finally
        {
            _binding.ClearBoundInputs();
            _binding.ClearBoundOutputs();
        }

        var result = _output.AsSpan(0, (int)outputCount);
        if (_kind == OnnxModelKind.HuggingFaceExport)
        {
            for (var r = 0; r < rows; r++)
            {
                var target = pooled.Slice(r * hidden, hidden);
                target.Clear();
                for (var t = 0; t < lengths[r]; t++)
                {
                    TensorPrimitives.Add(target, result.Slice(((r * length) + t) * hidden, hidden), target);
                }

                TensorPrimitives.Multiply(target, 1f / lengths[r], target);
                Normalize(target);
            }
        }
        else
        {
            result.CopyTo(pooled);
            if (_kind == OnnxModelKind.NimCustom)
            {
                for (var r = 0; r < rows; r++)
                {
                    Normalize(pooled.Slice(r * hidden, hidden));
                }
            }
        }
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private void Validate(BackendBatch batch, int pooledLength)
    {
        if (batch.Rows <= 0 || batch.SequenceLength <= 0)
        {
            throw new ArgumentException($"A batch needs at least one row and one position, not {batch.Rows} × {batch.SequenceLength}.", nameof(batch));
        }

        if (batch.SequenceLength > Info.MaxTokens)
        {
            throw new ArgumentException($"Sequence length {batch.SequenceLength} is over the model's limit of {Info.MaxTokens} tokens.", nameof(batch));
        }

        if (batch.InputIds.Length != batch.Rows * batch.SequenceLength || batch.Lengths.Length != batch.Rows)
        {
            throw new ArgumentException(
                $"A {batch.Rows} × {batch.SequenceLength} batch needs {batch.Rows * batch.SequenceLength} ids and {batch.Rows} lengths, not {batch.InputIds.Length} and {batch.Lengths.Length}.", nameof(batch));
        }

        if (pooledLength < batch.Rows * Info.HiddenSize)
        {
            throw new ArgumentException($"The output span holds {pooledLength} floats; {batch.Rows} × {Info.HiddenSize} are needed.", "pooled");
        }

        var lengths = batch.Lengths.Span;
        var ids = batch.InputIds.Span;
        for (var r = 0; r < batch.Rows; r++)
        {
            if (lengths[r] < 1 || lengths[r] > batch.SequenceLength)
            {
                throw new ArgumentException($"Row {r} has length {lengths[r]}; it must be between 1 and {batch.SequenceLength}.", nameof(batch));
            }

            if (_vocabSize > 0)
            {
                var row = ids.Slice(r * batch.SequenceLength, lengths[r]);
                for (var t = 0; t < row.Length; t++)
                {
                    if ((ulong)row[t] >= (ulong)_vocabSize)
                    {
                        throw new ArgumentException($"Row {r} position {t} has token id {row[t]}, outside the vocabulary [0, {_vocabSize}).", nameof(batch));
                    }
                }
            }
        }
    }

    private static OrtValue CreateInt32(ReadOnlySpan<long> ids, long[] shape)
    {
        var values = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            values[i] = checked((int)ids[i]);
        }

        return OrtValue.CreateTensorValueFromMemory(values, shape);
    }

    private OrtValue CreateMask(ReadOnlySpan<int> lengths, int rows, int length, long[] shape)
    {
        if (_mask32)
        {
            var mask = new int[rows * length];
            for (var r = 0; r < rows; r++)
            {
                mask.AsSpan(r * length, lengths[r]).Fill(1);
            }

            return OrtValue.CreateTensorValueFromMemory(mask, shape);
        }

        var mask64 = new long[rows * length];
        for (var r = 0; r < rows; r++)
        {
            mask64.AsSpan(r * length, lengths[r]).Fill(1);
        }

        return OrtValue.CreateTensorValueFromMemory(mask64, shape);
    }

    private OrtValue CreateDimensions() => _dimensions32
        ? OrtValue.CreateTensorValueFromMemory(new[] { Info.HiddenSize }, _dimensionsShape!)
        : OrtValue.CreateTensorValueFromMemory(new[] { (long)Info.HiddenSize }, _dimensionsShape!);

    private static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static string ResolveModelPath(ModelDirectory model, OnnxBackendOptions options, IProgress<string>? progress)
    {
        if (options.CustomModelPath is { } custom)
        {
            if (File.Exists(custom))
            {
                return Path.GetFullPath(custom);
            }

            if (Directory.Exists(custom))
            {
                var candidates = Directory.GetFiles(custom, "*.onnx");
                return candidates.Length == 1
                    ? candidates[0]
                    : throw new ModelFormatException($"{custom}: expected exactly one .onnx file, found {candidates.Length}.");
            }

            throw new ModelFormatException($"Custom model {custom} does not exist.");
        }

        var manifest = OnnxBuildManifest.TryLoad(model.OnnxDirectory);
        var wantedPrecision = options.Precision is null ? null : SafetensorsDTypes.ToPrecisionName(SafetensorsDTypes.ParsePrecision(options.Precision));
        var wantedVariant = options.GraphVariant.ToString().ToLowerInvariant();
        var stale = manifest is not null
            && (manifest.GeneratorVersion != LlamaOnnxBuilder.GeneratorVersion
                || manifest.Variant != wantedVariant
                || (wantedPrecision is not null && manifest.Precision != wantedPrecision));
        if (model.HasOnnx && !stale)
        {
            return model.OnnxModelPath;
        }

        if (!model.HasWeights || !options.BuildIfMissing)
        {
            throw new ModelFormatException(model.HasOnnx
                ? $"{model.OnnxModelPath} was built differently from what is asked ({manifest!.Variant} {manifest.Precision}, generator {manifest.GeneratorVersion}) and building is off."
                : $"{model.Path}: no {ModelDirectory.OnnxFolderName}/{ModelDirectory.OnnxFileName} and {(model.HasWeights ? "building is off" : "no weights to build it from")}.");
        }

        LlamaOnnxBuilder.Build(model, new LlamaOnnxBuildOptions
        {
            Precision = options.Precision is null ? null : SafetensorsDTypes.ParsePrecision(options.Precision),
            Variant = options.GraphVariant,
        }, progress);
        return model.OnnxModelPath;
    }

    private static OnnxModelKind DetectKind(InferenceSession session, string modelPath)
    {
        var outputs = session.OutputMetadata;
        var inputs = session.InputMetadata;
        if (!inputs.ContainsKey("input_ids"))
        {
            throw new ModelFormatException($"{modelPath}: the model has no input_ids input (inputs: {string.Join(", ", inputs.Keys)}).");
        }

        if (outputs.ContainsKey(LlamaOnnxBuilder.EmbeddingsOutput))
        {
            return inputs.ContainsKey("dimensions") ? OnnxModelKind.NimCustom : OnnxModelKind.NvEmbedBuilt;
        }

        if (outputs.ContainsKey("last_hidden_state"))
        {
            return OnnxModelKind.HuggingFaceExport;
        }

        throw new ModelFormatException(
            $"{modelPath}: outputs {string.Join(", ", outputs.Keys)} follow no known convention (embeddings: NIM custom model; last_hidden_state: Hugging Face export).");
    }

    private static int HiddenSizeOf(InferenceSession session, OnnxModelKind kind, ModelDirectory model, string modelPath)
    {
        var output = session.OutputMetadata[kind == OnnxModelKind.HuggingFaceExport ? "last_hidden_state" : LlamaOnnxBuilder.EmbeddingsOutput];
        var last = output.Dimensions.Length > 0 ? output.Dimensions[^1] : -1;
        if (last > 0)
        {
            return last;
        }

        return model.Config?.HiddenSize
            ?? throw new ModelFormatException($"{modelPath}: the output's last dimension is not fixed and there is no config.json hidden_size to tell the embedding size.");
    }

    private static string PrecisionOf(InferenceSession session) =>
        session.ModelMetadata.CustomMetadataMap.TryGetValue("nvembed.precision", out var p) ? p : "fp32";

    private static bool IsInt32(NodeMetadata metadata, string name, string modelPath) => metadata.ElementDataType switch
    {
        TensorElementType.Int32 => true,
        TensorElementType.Int64 => false,
        var other => throw new ModelFormatException(string.Create(CultureInfo.InvariantCulture, $"{modelPath}: input {name} is {other}; int32 or int64 is needed.")),
    };
}
