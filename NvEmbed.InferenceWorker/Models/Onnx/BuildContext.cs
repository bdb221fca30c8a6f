using System.Buffers;
using NvEmbed.InferenceWorker.Models.Lora;
using NvEmbed.InferenceWorker.Models.Safetensors;
using DataType = NvEmbed.InferenceWorker.Models.Onnx.Proto.TensorProto.Types.DataType;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>
/// The state of one graph build: where weights come from (safetensors + an optional LoRA merge), the
/// precision the graph computes in, and the graph they are written to. Every weight is written in the
/// compute precision, except the embedding table of a float32 graph, which keeps the safetensors'
/// 16-bit precision (only the gathered rows are widened).
/// </summary>
internal sealed class BuildContext(OnnxGraphWriter graph, SafetensorsWeights weights, LoraAdapter? lora, SafetensorsDType compute, LlamaConfig config, GraphVariant variant)
{
    // Conversion works in slices of this many elements, so a large tensor is never converted whole.
    private const int ChunkElements = 1 << 20;

    public OnnxGraphWriter Graph { get; } = graph;

    /// <summary>The precision of activations, weights, norms and rotary tables.</summary>
    public SafetensorsDType Compute { get; } = compute;

    /// <summary>The ONNX element type of <see cref="Compute"/>.</summary>
    public DataType ComputeType { get; } = ToDataType(compute);

    public LlamaConfig Config { get; } = config;

    public GraphVariant Variant { get; } = variant;

    /// <summary>The precision the embedding table is stored in.</summary>
    public SafetensorsDType EmbeddingPrecision { get; } = compute == SafetensorsDType.F32 && weights.PredominantDType != SafetensorsDType.F32
        ? weights.PredominantDType
        : compute;

    /// <summary>The ONNX element type of a precision.</summary>
    public static DataType ToDataType(SafetensorsDType precision) => precision switch
    {
        SafetensorsDType.F32 => DataType.Float,
        SafetensorsDType.F16 => DataType.Float16,
        _ => DataType.Bfloat16,
    };

    /// <summary>The embedding table in <see cref="EmbeddingPrecision"/>.</summary>
    public string Embedding()
    {
        var shape = new long[] { Config.VocabSize, Config.HiddenSize };
        var tensor = weights.Get("embed_tokens.weight", shape);
        var precision = EmbeddingPrecision;
        var bytes = tensor.ElementCount * SafetensorsDTypes.SizeOf(precision);
        return Graph.AddInitializer("embed_tokens.weight", ToDataType(precision), shape, bytes, sink =>
        {
            var source = weights.GetBytes(tensor);
            if (tensor.DType == precision)
            {
                for (var offset = 0; offset < source.Length; offset += ChunkElements * 4)
                {
                    sink(source.Slice(offset, Math.Min(ChunkElements * 4, source.Length - offset)));
                }

                return;
            }

            var inSize = SafetensorsDTypes.SizeOf(tensor.DType);
            var floats = ArrayPool<float>.Shared.Rent(ChunkElements);
            var output = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
            try
            {
                for (long start = 0; start < tensor.ElementCount; start += ChunkElements)
                {
                    var count = (int)Math.Min(ChunkElements, tensor.ElementCount - start);
                    Numerics.ToSingle(tensor.DType, source.Slice((int)(start * inSize), count * inSize), floats.AsSpan(0, count));
                    var outBytes = count * SafetensorsDTypes.SizeOf(precision);
                    Numerics.FromSingle(precision, floats.AsSpan(0, count), output.AsSpan(0, outBytes));
                    sink(output.AsSpan(0, outBytes));
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(floats);
                ArrayPool<byte>.Shared.Return(output);
            }
        });
    }

    /// <summary>A norm weight in the compute precision.</summary>
    public string Norm(string name)
    {
        var values = weights.ReadSingle(name, [Config.HiddenSize]);
        return Values(Graph.NewName(name), [Config.HiddenSize], values);
    }

    /// <summary>A constant tensor of <paramref name="values"/> in the compute precision.</summary>
    public string Values(string name, long[] dims, float[] values) => Compute == SafetensorsDType.F32
        ? Graph.AddFloat(name, dims, values)
        : Graph.AddInitializer(name, ComputeType, dims, values.LongLength * 2, sink => Convert(values, sink));

    /// <summary>A projection <c>[out, in]</c> (LoRA merged), written transposed as <c>[in, out]</c> for MatMul, in the compute precision.</summary>
    public string Linear(string name)
    {
        var shape = LlamaOnnxBuilder.ExpectedShapes(Config)[name];
        var rows = (int)shape[0];
        var columns = (int)shape[1];
        var weight = weights.ReadSingle(name, [rows, columns]);
        lora?.TryMergeInto(name, weight, rows, columns);
        var transposed = new float[(long)rows * columns];
        for (var o = 0; o < rows; o++)
        {
            var row = weight.AsSpan(o * columns, columns);
            for (var i = 0; i < columns; i++)
            {
                transposed[((long)i * rows) + o] = row[i];
            }
        }

        return Graph.AddInitializer(name + "_t", ComputeType, [columns, rows], transposed.LongLength * SafetensorsDTypes.SizeOf(Compute), sink => Convert(transposed, sink));
    }

    private void Convert(float[] values, OnnxChunkSink sink)
    {
        var elementSize = SafetensorsDTypes.SizeOf(Compute);
        var output = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
        try
        {
            for (long start = 0; start < values.LongLength; start += ChunkElements)
            {
                var count = (int)Math.Min(ChunkElements, values.LongLength - start);
                Numerics.FromSingle(Compute, values.AsSpan((int)start, count), output.AsSpan(0, count * elementSize));
                sink(output.AsSpan(0, count * elementSize));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(output);
        }
    }
}
