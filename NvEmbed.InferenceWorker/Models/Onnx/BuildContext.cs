using System.Buffers;
using System.Runtime.InteropServices;
using NvEmbed.InferenceWorker.Models.Lora;
using NvEmbed.InferenceWorker.Models.Safetensors;
using static NvEmbed.InferenceWorker.Models.Onnx.OnnxGraphWriter;
using DataType = NvEmbed.InferenceWorker.Models.Onnx.Proto.TensorProto.Types.DataType;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>
/// The state of one graph build: where weights come from (safetensors + an optional LoRA merge), the
/// precision they are written in, and the graph they are written to.
/// </summary>
internal sealed class BuildContext(OnnxGraphWriter graph, SafetensorsWeights weights, LoraAdapter? lora, SafetensorsDType precision, LlamaConfig config, GraphVariant variant)
{
    // Conversion works in slices of this many elements, so a large tensor is never converted whole.
    private const int ChunkElements = 1 << 20;

    public OnnxGraphWriter Graph { get; } = graph;

    public SafetensorsDType Precision { get; } = precision;

    public LlamaConfig Config { get; } = config;

    public GraphVariant Variant { get; } = variant;

    private DataType OnnxType => Precision switch
    {
        SafetensorsDType.F32 => DataType.Float,
        SafetensorsDType.F16 => DataType.Float16,
        _ => DataType.Bfloat16,
    };

    /// <summary>The embedding table in the build precision (not widened: only gathered rows are).</summary>
    public string Embedding()
    {
        var shape = new long[] { Config.VocabSize, Config.HiddenSize };
        var tensor = weights.Get("embed_tokens.weight", shape);
        var bytes = tensor.ElementCount * SafetensorsDTypes.SizeOf(Precision);
        return Graph.AddInitializer("embed_tokens.weight", OnnxType, shape, bytes, sink =>
        {
            var source = weights.GetBytes(tensor);
            if (tensor.DType == Precision)
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
                    var outBytes = count * SafetensorsDTypes.SizeOf(Precision);
                    Numerics.FromSingle(Precision, floats.AsSpan(0, count), output.AsSpan(0, outBytes));
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

    /// <summary>A norm weight, always float32 (they are tiny and precision-sensitive).</summary>
    public string Norm(string name)
    {
        var values = weights.ReadSingle(name, [Config.HiddenSize]);
        var initializer = Graph.NewName(name);
        return Graph.AddFloat(initializer, [Config.HiddenSize], values);
    }

    /// <summary>A projection <c>[out, in]</c>, written transposed as <c>[in, out]</c> for MatMul; returns a float32 value.</summary>
    public string Linear(string name) => ConcatenatedLinear(name, [name]);

    /// <summary>Several projections of the same input, concatenated along their outputs (one MatMul instead of several).</summary>
    public string ConcatenatedLinear(string name, string[] parts)
    {
        var blocks = new List<(string Name, int Rows, int Columns)>();
        foreach (var part in parts)
        {
            var shape = LlamaOnnxBuilder.ExpectedShapes(Config)[part];
            blocks.Add((part, (int)shape[0], (int)shape[1]));
        }

        var inputs = blocks[0].Columns;
        var totalOut = blocks.Sum(b => b.Rows);
        var transposed = new float[(long)inputs * totalOut];
        var columnOffset = 0;
        foreach (var (part, rows, columns) in blocks)
        {
            var weight = weights.ReadSingle(part, [rows, columns]);
            lora?.TryMergeInto(part, weight, rows, columns);
            for (var o = 0; o < rows; o++)
            {
                var row = weight.AsSpan(o * columns, columns);
                for (var i = 0; i < columns; i++)
                {
                    transposed[((long)i * totalOut) + columnOffset + o] = row[i];
                }
            }

            columnOffset += rows;
        }

        var elementSize = SafetensorsDTypes.SizeOf(Precision);
        var initializer = Graph.AddInitializer(name + ".weight_t", OnnxType, [inputs, totalOut], transposed.LongLength * elementSize, sink =>
        {
            var output = ArrayPool<byte>.Shared.Rent(ChunkElements * 4);
            try
            {
                for (long start = 0; start < transposed.LongLength; start += ChunkElements)
                {
                    var count = (int)Math.Min(ChunkElements, transposed.LongLength - start);
                    Numerics.FromSingle(Precision, transposed.AsSpan((int)start, count), output.AsSpan(0, count * elementSize));
                    sink(output.AsSpan(0, count * elementSize));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(output);
            }
        });

        return Precision == SafetensorsDType.F32
            ? initializer
            : Graph.Node("Cast", [initializer], attributes: Attr("to", (long)DataType.Float));
    }
}
