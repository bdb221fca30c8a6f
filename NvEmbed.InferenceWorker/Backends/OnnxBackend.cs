using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// Runs an embedding model with ONNX Runtime on the CPU or a CUDA GPU. Opens a graph built from
/// the model directory's safetensors (building it first when missing or stale) or a ready-made ONNX
/// model in the NIM custom or Hugging Face export convention.
/// </summary>
/// <remarks>
/// Inputs and outputs are bound with IOBinding to host buffers this backend allocates once (page-locked
/// on CUDA) and reuses for every batch that fits, growing them only for a larger batch. The tensors over
/// them are kept per batch shape, and a batch of the shape already bound is not bound again, so a run of
/// a shape seen before allocates nothing: the ids and mask are written into the buffers, the graph runs,
/// the vectors are read out. A built graph returns only the pooled vectors, already cut to each row's
/// Matryoshka size and normalised.
/// </remarks>
public sealed class OnnxBackend : IEmbeddingBackend
{
    // Tensors over the buffers are kept for this many batch shapes, then all dropped and made again as
    // shapes come (a shape's tensors cost about a microsecond to make).
    private const int MaxCachedShapes = 256;

    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly OrtAllocator? _pinnedAllocator;
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
    private readonly bool _profiling;
    private readonly Dictionary<(int Rows, int Length), BoundShape> _shapes = [];
    private HostBuffer? _ids;
    private HostBuffer? _mask;
    private HostBuffer? _rowDimensions;
    private HostBuffer? _output;
    private HostBuffer? _dimensions;
    private (int Rows, int Length) _bound = (-1, -1);
    private int _tokenCapacity;
    private int _rowCapacity;

    private OnnxBackend(InferenceSession session, OnnxModelKind kind, BackendInfo info, int vocabSize, string modelPath, OrtAllocator? pinnedAllocator, bool profiling)
    {
        _profiling = profiling;
        _session = session;
        _binding = session.CreateIoBinding();
        _kind = kind;
        _vocabSize = vocabSize;
        _pinnedAllocator = pinnedAllocator;
        Info = info;
        ModelPath = modelPath;

        var inputs = session.InputMetadata;
        _idsName = inputs.ContainsKey("input_ids") ? "input_ids" : inputs.Keys.First();
        _maskName = inputs.ContainsKey("attention_mask") ? "attention_mask" : throw new ModelFormatException($"{modelPath}: the model has no attention_mask input (inputs: {string.Join(", ", inputs.Keys)}).");
        _ids32 = IsInt32(inputs[_idsName], _idsName, modelPath);
        _mask32 = IsInt32(inputs[_maskName], _maskName, modelPath);
        var known = kind == OnnxModelKind.NvEmbedBuilt ? LlamaOnnxBuilder.RowDimensionsInput : "dimensions";
        var unknown = inputs.Keys.Where(k => k != _idsName && k != _maskName && k != known).ToList();
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

        _outputName = kind == OnnxModelKind.HuggingFaceExport ? LlamaOnnxBuilder.HiddenStatesValue : LlamaOnnxBuilder.EmbeddingsOutput;
    }

    /// <inheritdoc />
    public BackendInfo Info { get; }

    /// <summary>The ONNX model file this backend runs.</summary>
    public string ModelPath { get; }

    /// <summary>The convention the model follows.</summary>
    public OnnxModelKind Kind => _kind;

    /// <summary>True when the bound buffers are CUDA page-locked memory (CUDA provider), false for pinned managed arrays.</summary>
    public bool UsesCudaPinnedMemory => _pinnedAllocator is not null;

    /// <summary>Batch shapes whose tensors are kept bound-ready (for tests of the no-allocation path).</summary>
    public int CachedShapes => _shapes.Count;

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
        OrtRuntime.EnsureInitialized();
        var provider = options.ExecutionProvider.ToLowerInvariant();
        if (provider is not ("cpu" or "cuda"))
        {
            throw new ArgumentException($"Execution provider '{options.ExecutionProvider}' is not supported: use cpu or cuda.", nameof(options));
        }

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
        // ONNX Runtime's intra-op threads spin after each parallel section by default (see AllowSpinning).
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");

        if (options.ProfileFilePrefix is { } profile)
        {
            // NOTE: the prefix must be set first; enabling profiling hands ONNX Runtime the prefix of that moment.
            sessionOptions.ProfileOutputPathPrefix = profile;
            sessionOptions.EnableProfiling = true;
        }

        if (provider == "cuda")
        {
            // Checked before a graph is built for a provider that cannot run it.
            OrtRuntime.AppendCuda(sessionOptions, options.DeviceId);
        }

        var modelPath = ResolveModelPath(model, options, progress);
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex) when (provider == "cuda" && ex.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase))
        {
            throw OrtRuntime.CudaUnavailable(options.DeviceId, ex);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelFormatException($"{modelPath}: ONNX Runtime cannot load the model on the {provider} provider: {ex.Message}", ex);
        }

        OrtAllocator? pinned = null;
        try
        {
            var kind = DetectKind(session, modelPath);
            var hidden = HiddenSizeOf(session, kind, model, modelPath);
            var manifest = options.CustomModelPath is null ? OnnxBuildManifest.TryLoad(model.OnnxDirectory) : null;
            var maxTokens = manifest is null ? model.Settings.MaxTokens : Math.Min(model.Settings.MaxTokens, manifest.MaxPositions);
            var precision = manifest?.Precision ?? PrecisionOf(session);
            var info = new BackendInfo(hidden, maxTokens, precision, provider, OutputsNormalized: true, AppliesDimensions: kind == OnnxModelKind.NvEmbedBuilt);
            pinned = provider == "cuda" ? CudaPinnedAllocator(session, options.DeviceId, progress) : null;
            return new OnnxBackend(session, kind, info, model.Config?.VocabSize ?? 0, modelPath, pinned, options.ProfileFilePrefix is not null);
        }
        catch
        {
            pinned?.Dispose();
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
        EnsureCapacity(count, rows);

        var ids = batch.InputIds.Span;
        var lengths = batch.Lengths.Span;
        if (_ids32)
        {
            var target = _ids!.AsSpan<int>(count);
            for (var i = 0; i < count; i++)
            {
                target[i] = (int)ids[i];
            }
        }
        else
        {
            ids.CopyTo(_ids!.AsSpan<long>(count));
        }

        FillMask(lengths, rows, length);
        if (_kind == OnnxModelKind.NvEmbedBuilt)
        {
            var target = _rowDimensions!.AsSpan<long>(rows);
            var dimensions = batch.Dimensions.Span;
            for (var r = 0; r < rows; r++)
            {
                target[r] = dimensions.IsEmpty ? hidden : dimensions[r];
            }
        }

        if (_bound != (rows, length))
        {
            Bind(rows, length);
        }

        _session.RunWithBinding(_runOptions, _binding);
        _binding.SynchronizeBoundOutputs();

        if (_kind == OnnxModelKind.HuggingFaceExport)
        {
            var states = _output!.AsSpan<float>(count * hidden);
            for (var r = 0; r < rows; r++)
            {
                var target = pooled.Slice(r * hidden, hidden);
                target.Clear();
                for (var t = 0; t < lengths[r]; t++)
                {
                    TensorPrimitives.Add(target, states.Slice(((r * length) + t) * hidden, hidden), target);
                }

                TensorPrimitives.Multiply(target, 1f / lengths[r], target);
                Normalize(target);
            }

            return;
        }

        _output!.AsSpan<float>(rows * hidden).CopyTo(pooled);
        if (_kind == OnnxModelKind.NimCustom)
        {
            for (var r = 0; r < rows; r++)
            {
                Normalize(pooled.Slice(r * hidden, hidden));
            }
        }
    }

    public void Dispose()
    {
        if (_profiling)
        {
            _session.EndProfiling();
        }

        DropShapes();
        _binding.Dispose();
        _runOptions.Dispose();
        _ids?.Dispose();
        _mask?.Dispose();
        _rowDimensions?.Dispose();
        _output?.Dispose();
        _dimensions?.Dispose();
        _pinnedAllocator?.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// ONNX Runtime's page-locked host allocator of the CUDA provider, or null (with a progress line) when
    /// the session does not offer one: then pinned managed arrays are used and copies are staged.
    /// </summary>
    private static OrtAllocator? CudaPinnedAllocator(InferenceSession session, int deviceId, IProgress<string>? progress)
    {
        try
        {
            using var info = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA_PINNED, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.CpuOutput);
            return new OrtAllocator(session, info);
        }
        catch (OnnxRuntimeException ex)
        {
            progress?.Report($"no CUDA page-locked allocator ({ex.Message}); binding pinned managed buffers instead");
            return null;
        }
    }

    /// <summary>Grows the buffers (and forgets the tensors over the old ones) when a batch does not fit.</summary>
    private void EnsureCapacity(int tokens, int rows)
    {
        var hidden = Info.HiddenSize;
        if (tokens <= _tokenCapacity && rows <= _rowCapacity)
        {
            return;
        }

        DropShapes();
        _tokenCapacity = Math.Max(_tokenCapacity, (int)Math.Min(int.MaxValue / 8, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(tokens, 256))));
        _rowCapacity = Math.Max(_rowCapacity, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(rows, 16)));
        Replace(ref _ids, (long)_tokenCapacity * (_ids32 ? 4 : 8));
        Replace(ref _mask, (long)_tokenCapacity * (_mask32 ? 4 : 8));
        Replace(ref _output, (long)(_kind == OnnxModelKind.HuggingFaceExport ? _tokenCapacity : _rowCapacity) * hidden * sizeof(float));
        if (_kind == OnnxModelKind.NvEmbedBuilt)
        {
            Replace(ref _rowDimensions, (long)_rowCapacity * sizeof(long));
        }

        if (_dimensionsName is not null && _dimensions is null)
        {
            _dimensions = HostBuffer.Allocate(sizeof(long), _pinnedAllocator);
            if (_dimensions32)
            {
                _dimensions.AsSpan<int>(1)[0] = Info.HiddenSize;
            }
            else
            {
                _dimensions.AsSpan<long>(1)[0] = Info.HiddenSize;
            }
        }

        void Replace(ref HostBuffer? buffer, long bytes)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = HostBuffer.Allocate(bytes, _pinnedAllocator);
        }
    }

    private void FillMask(ReadOnlySpan<int> lengths, int rows, int length)
    {
        if (_mask32)
        {
            var mask = _mask!.AsSpan<int>(rows * length);
            for (var r = 0; r < rows; r++)
            {
                mask.Slice(r * length, lengths[r]).Fill(1);
                mask.Slice((r * length) + lengths[r], length - lengths[r]).Clear();
            }

            return;
        }

        var mask64 = _mask!.AsSpan<long>(rows * length);
        for (var r = 0; r < rows; r++)
        {
            mask64.Slice(r * length, lengths[r]).Fill(1);
            mask64.Slice((r * length) + lengths[r], length - lengths[r]).Clear();
        }
    }

    /// <summary>Binds the tensors of a <paramref name="rows"/> × <paramref name="length"/> batch (made once per shape).</summary>
    private void Bind(int rows, int length)
    {
        if (!_shapes.TryGetValue((rows, length), out var shape))
        {
            if (_shapes.Count >= MaxCachedShapes)
            {
                DropShapes();
            }

            long[] matrix = [rows, length];
            var idsType = _ids32 ? TensorElementType.Int32 : TensorElementType.Int64;
            var maskType = _mask32 ? TensorElementType.Int32 : TensorElementType.Int64;
            shape = new BoundShape(
                _ids!.Tensor(idsType, matrix, _ids32 ? 4 : 8),
                _mask!.Tensor(maskType, matrix, _mask32 ? 4 : 8),
                _kind == OnnxModelKind.NvEmbedBuilt ? _rowDimensions!.Tensor(TensorElementType.Int64, [rows], 8)
                    : _dimensionsName is null ? null
                    : _dimensions!.Tensor(_dimensions32 ? TensorElementType.Int32 : TensorElementType.Int64, _dimensionsShape!, _dimensions32 ? 4 : 8),
                _output!.Tensor(TensorElementType.Float, _kind == OnnxModelKind.HuggingFaceExport ? [rows, length, Info.HiddenSize] : [rows, Info.HiddenSize], sizeof(float)));
            _shapes[(rows, length)] = shape;
        }

        _binding.BindInput(_idsName, shape.Ids);
        _binding.BindInput(_maskName, shape.Mask);
        if (shape.Extra is not null)
        {
            _binding.BindInput(_kind == OnnxModelKind.NvEmbedBuilt ? LlamaOnnxBuilder.RowDimensionsInput : _dimensionsName!, shape.Extra);
        }

        _binding.BindOutput(_outputName, shape.Output);
        _bound = (rows, length);
    }

    private void DropShapes()
    {
        if (_shapes.Count > 0)
        {
            _binding.ClearBoundInputs();
            _binding.ClearBoundOutputs();
        }

        foreach (var shape in _shapes.Values)
        {
            shape.Dispose();
        }

        _shapes.Clear();
        _bound = (-1, -1);
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

        if (!batch.Dimensions.IsEmpty && batch.Dimensions.Length != batch.Rows)
        {
            throw new ArgumentException($"A {batch.Rows}-row batch needs {batch.Rows} dimensions (or none), not {batch.Dimensions.Length}.", nameof(batch));
        }

        if (pooledLength < batch.Rows * Info.HiddenSize)
        {
            throw new ArgumentException($"The output span holds {pooledLength} floats; {batch.Rows} × {Info.HiddenSize} are needed.", "pooled");
        }

        var lengths = batch.Lengths.Span;
        var ids = batch.InputIds.Span;
        var dimensions = batch.Dimensions.Span;
        for (var r = 0; r < batch.Rows; r++)
        {
            if (lengths[r] < 1 || lengths[r] > batch.SequenceLength)
            {
                throw new ArgumentException($"Row {r} has length {lengths[r]}; it must be between 1 and {batch.SequenceLength}.", nameof(batch));
            }

            if (!dimensions.IsEmpty && (dimensions[r] < 1 || dimensions[r] > Info.HiddenSize))
            {
                throw new ArgumentException($"Row {r} asks for {dimensions[r]} dimensions; it must be between 1 and {Info.HiddenSize}.", nameof(batch));
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
        var precision = SafetensorsDTypes.ParsePrecision(options.ResolvedPrecision);
        var wantedPrecision = SafetensorsDTypes.ToPrecisionName(precision);
        var wantedVariant = GraphVariants.ToName(options.GraphVariant);
        var stale = manifest is not null
            && (manifest.GeneratorVersion != LlamaOnnxBuilder.GeneratorVersion
                || manifest.Variant != wantedVariant
                || manifest.Precision != wantedPrecision);
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

        LlamaOnnxBuilder.Build(model, new LlamaOnnxBuildOptions { Precision = precision, Variant = options.GraphVariant }, progress);
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

        if (outputs.ContainsKey(LlamaOnnxBuilder.HiddenStatesValue))
        {
            return OnnxModelKind.HuggingFaceExport;
        }

        throw new ModelFormatException(
            $"{modelPath}: outputs {string.Join(", ", outputs.Keys)} follow no known convention (embeddings: NIM custom model; last_hidden_state: Hugging Face export).");
    }

    private static int HiddenSizeOf(InferenceSession session, OnnxModelKind kind, ModelDirectory model, string modelPath)
    {
        var output = session.OutputMetadata[kind == OnnxModelKind.HuggingFaceExport ? LlamaOnnxBuilder.HiddenStatesValue : LlamaOnnxBuilder.EmbeddingsOutput];
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

    /// <summary>The tensors of one batch shape over the host buffers.</summary>
    private sealed record BoundShape(OrtValue Ids, OrtValue Mask, OrtValue? Extra, OrtValue Output) : IDisposable
    {
        public void Dispose()
        {
            Ids.Dispose();
            Mask.Dispose();
            Extra?.Dispose();
            Output.Dispose();
        }
    }
}
