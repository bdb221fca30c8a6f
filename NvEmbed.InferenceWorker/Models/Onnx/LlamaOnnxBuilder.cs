using System.Globalization;
using NvEmbed.InferenceWorker.Models.Lora;
using NvEmbed.InferenceWorker.Models.Onnx.Proto;
using NvEmbed.InferenceWorker.Models.Safetensors;
using static NvEmbed.InferenceWorker.Models.Onnx.OnnxGraphWriter;
using DataType = NvEmbed.InferenceWorker.Models.Onnx.Proto.TensorProto.Types.DataType;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>
/// Builds the ONNX graph of a bidirectional Llama encoder from config.json + safetensors: embedding
/// gather, per layer RMSNorm → grouped-query attention (rotary with llama3 scaling, padding mask
/// only) → residual → RMSNorm → SwiGLU MLP → residual, final RMSNorm, then mean pooling over the
/// attention mask, the Matryoshka cut and L2 normalisation, all inside the graph. Inputs:
/// <c>input_ids</c> and <c>attention_mask</c> (int64 <c>[batch, sequence]</c>, each row's real tokens
/// first) and <c>row_dimensions</c> (int64 <c>[batch]</c>, the Matryoshka size of each row); the only
/// output is <c>embeddings</c> (float32 <c>[batch, hidden]</c>: each row L2-normalised over its first
/// <c>row_dimensions</c> values, zero after them), so nothing of size batch × sequence × hidden leaves
/// the device. The final hidden states are the graph value <see cref="HiddenStatesValue"/>.
/// </summary>
public static class LlamaOnnxBuilder
{
    /// <summary>Changes whenever the graph a given model builds to changes; older builds are rebuilt.</summary>
    public const string GeneratorVersion = "3";

    /// <summary>
    /// The shortest unpadded batch a float32 graph runs through the flash-attention kernel; shorter ones keep the masked
    /// operator, on which a 16-token query was ~0.6 ms faster on the CPU (figures: Models/README.md).
    /// </summary>
    public const long FlashAttentionMinLength = 128;

    /// <summary>Name of the value holding the final hidden states (not an output; exporters' tests expose it).</summary>
    public const string HiddenStatesValue = "last_hidden_state";

    /// <summary>Name of the pooled, normalised output.</summary>
    public const string EmbeddingsOutput = "embeddings";

    /// <summary>Name of the per-row Matryoshka size input.</summary>
    public const string RowDimensionsInput = "row_dimensions";

    /// <summary>The ai.onnx opset the graphs import: 24 has Attention with <c>nonpad_kv_seqlen</c>.</summary>
    public const int OnnxOpset = 24;

    private const string MicrosoftDomain = "com.microsoft";

    /// <summary>
    /// Builds <c>onnx/</c> of <paramref name="model"/> (into a temporary folder first, then swapped in,
    /// so an interrupted build leaves the old graph or none, never half of one).
    /// </summary>
    /// <exception cref="ModelFormatException">The config or weights do not fit (names the tensor and the shapes).</exception>
    /// <exception cref="InvalidOperationException">onnx/ holds a ready-made model, which a build must not overwrite.</exception>
    public static OnnxBuildManifest Build(ModelDirectory model, LlamaOnnxBuildOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var config = model.Config ?? throw new ModelFormatException($"{model.Path}: config.json is needed to build a graph.");
        if (model.HasOnnx && OnnxBuildManifest.TryLoad(model.OnnxDirectory) is null)
        {
            throw new InvalidOperationException($"{model.OnnxDirectory} holds a ready-made ONNX model (no {OnnxBuildManifest.FileName}); move it away to build from the weights.");
        }

        var temp = Path.Combine(model.Path, ".onnx-build-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temp);
        try
        {
            var manifest = BuildInto(temp, model, config, options, progress);
            var old = model.OnnxDirectory + ".old-" + Guid.NewGuid().ToString("N")[..8];
            if (Directory.Exists(model.OnnxDirectory))
            {
                Directory.Move(model.OnnxDirectory, old);
            }

            Directory.Move(temp, model.OnnxDirectory);
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
            }

            return manifest;
        }
        catch
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }

            throw;
        }
    }

    private static OnnxBuildManifest BuildInto(string outDir, ModelDirectory model, LlamaConfig c, LlamaOnnxBuildOptions options, IProgress<string>? progress)
    {
        using var weights = SafetensorsWeights.Open(model.Path);
        var precision = options.Precision;
        if (options.Variant == GraphVariant.Plain && precision != SafetensorsDType.F32)
        {
            throw new ArgumentException($"The plain graph computes in fp32, not {SafetensorsDTypes.ToPrecisionName(precision)}: use the fused variant for 16-bit compute.", nameof(options));
        }

        using var lora = options.LoraDirectory is null ? null : LoraAdapter.Open(options.LoraDirectory);
        var shapes = ExpectedShapes(c);
        foreach (var (name, shape) in shapes)
        {
            weights.Get(name, shape); // every tensor checked before anything is written
        }

        if (lora is not null)
        {
            foreach (var name in lora.AdaptedWeights)
            {
                if (!shapes.ContainsKey(name))
                {
                    throw new ModelFormatException($"LoRA adapter {lora.Directory} adapts '{name}', which the model does not have.");
                }
            }
        }

        var maxPositions = Math.Min(options.MaxPositions ?? model.Settings.MaxTokens, c.MaxPositionEmbeddings);
        var weightBytes = shapes.Where(s => !s.Key.Contains("norm", StringComparison.Ordinal))
            .Sum(s => s.Value.Aggregate(1L, (a, b) => a * b)) * SafetensorsDTypes.SizeOf(precision);
        var external = weightBytes > options.ExternalDataThresholdBytes;
        var precisionName = SafetensorsDTypes.ToPrecisionName(precision);
        var variantName = GraphVariants.ToName(options.Variant);
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"building {variantName} {precisionName} graph: {c}; {weightBytes / (1 << 20)} MiB of weights{(external ? " (external data)" : string.Empty)}{(lora is null ? string.Empty : $", LoRA {lora.Directory} merged")}"));

        using var g = new OnnxGraphWriter(external ? Path.Combine(outDir, OnnxFileNames.ExternalData) : null);
        var ctx = new BuildContext(g, weights, lora, precision, c, options.Variant);
        BuildGraph(ctx, maxPositions, progress);
        g.Save(Path.Combine(outDir, ModelDirectory.OnnxFileName), new Dictionary<string, string>
        {
            ["nvembed.generator_version"] = GeneratorVersion,
            ["nvembed.pooling"] = "mean",
            ["nvembed.normalized"] = "true",
            ["nvembed.precision"] = precisionName,
            ["nvembed.variant"] = variantName,
        }, OnnxOpset, usesMicrosoftDomain: options.Variant != GraphVariant.Plain);

        var manifest = new OnnxBuildManifest
        {
            GeneratorVersion = GeneratorVersion,
            Precision = precisionName,
            Variant = variantName,
            Lora = lora is null ? null : Path.GetFullPath(lora.Directory),
            HiddenSize = c.HiddenSize,
            MaxPositions = maxPositions,
            ExternalData = external,
            WeightsBytes = g.InitializerBytes,
        };
        manifest.Save(outDir);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"wrote {ModelDirectory.OnnxFolderName}/ ({g.InitializerBytes / (1 << 20)} MiB of initializers)"));
        return manifest;
    }

    /// <summary>Every weight the config asks for, by its LlamaModel name, with its [out, in] shape.</summary>
    public static Dictionary<string, long[]> ExpectedShapes(LlamaConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["embed_tokens.weight"] = [c.VocabSize, c.HiddenSize],
            ["norm.weight"] = [c.HiddenSize],
        };
        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = "layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            shapes[p + "input_layernorm.weight"] = [c.HiddenSize];
            shapes[p + "post_attention_layernorm.weight"] = [c.HiddenSize];
            shapes[p + "self_attn.q_proj.weight"] = [c.NumHeads * c.HeadDim, c.HiddenSize];
            shapes[p + "self_attn.k_proj.weight"] = [c.NumKeyValueHeads * c.HeadDim, c.HiddenSize];
            shapes[p + "self_attn.v_proj.weight"] = [c.NumKeyValueHeads * c.HeadDim, c.HiddenSize];
            shapes[p + "self_attn.o_proj.weight"] = [c.HiddenSize, c.NumHeads * c.HeadDim];
            shapes[p + "mlp.gate_proj.weight"] = [c.IntermediateSize, c.HiddenSize];
            shapes[p + "mlp.up_proj.weight"] = [c.IntermediateSize, c.HiddenSize];
            shapes[p + "mlp.down_proj.weight"] = [c.HiddenSize, c.IntermediateSize];
        }

        return shapes;
    }

    private static void BuildGraph(BuildContext x, int maxPositions, IProgress<string>? progress)
    {
        var g = x.Graph;
        var c = x.Config;
        g.AddInput("input_ids", DataType.Int64, "batch", "sequence");
        g.AddInput("attention_mask", DataType.Int64, "batch", "sequence");
        g.AddInput(RowDimensionsInput, DataType.Int64, "batch");

        // Embedding: gather in the stored precision; a float32 graph widens only the gathered rows.
        var hidden = g.Node("Gather", [x.Embedding(), "input_ids"], attributes: Attr("axis", 0L));
        if (x.EmbeddingPrecision != x.Compute)
        {
            hidden = g.Node("Cast", [hidden], attributes: Attr("to", (long)x.ComputeType));
        }

        // Real tokens per row (rows are right-padded): the attention's key lengths and the pooling's divisor.
        var lengths = g.Node("ReduceSum", ["attention_mask", g.Int64s(1)], attributes: Attr("keepdims", 0L));
        var ids2dShape = g.Node("Shape", ["input_ids"]);
        var seqLen = g.Node("Slice", [ids2dShape, g.Int64s(1), g.Int64s(2)]);
        var rope = BuildRope(x, maxPositions, seqLen);
        var padding = x.Variant switch
        {
            GraphVariant.Fused => lengths,
            GraphVariant.FusedMha => g.Node("Cast", ["attention_mask"], attributes: Attr("to", (long)DataType.Int32)),
            _ => g.Node("Unsqueeze", [g.Node("Mul", [g.Node("Sub", [MaskAsFloat(g), g.Scalar(1f)]), g.Scalar(1e9f)]), g.Int64s(1, 2)]),
        };

        // A float32 graph (the CPU's) takes a second attention path for long batches without padding: see FusedAttention.
        string? unpadded = null;
        if (x.Variant == GraphVariant.Fused && x.Compute == SafetensorsDType.F32)
        {
            var length = g.Node("Squeeze", [seqLen, g.Int64s(0)]);
            var noPadding = g.Node("Equal", [g.Node("ReduceMin", [lengths], attributes: Attr("keepdims", 0L)), length]);
            var isLong = g.Node("GreaterOrEqual", [length, g.Int64s(FlashAttentionMinLength)]);
            unpadded = g.Node("And", [noPadding, isLong]);
        }

        var eps = (float)c.RmsNormEps;
        var residual = hidden;
        var normed = x.Variant == GraphVariant.Plain
            ? RmsNorm(g, hidden, x.Norm("layers.0.input_layernorm.weight"), eps)
            : g.Node("SimplifiedLayerNormalization", [hidden, x.Norm("layers.0.input_layernorm.weight")], attributes: [Attr("axis", -1L), Attr("epsilon", eps), Attr("stash_type", 1L)]);

        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = "layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            var attention = x.Variant == GraphVariant.Plain ? PlainAttention(x, p, normed, rope, padding) : FusedAttention(x, p, normed, rope, padding, unpadded);
            (normed, residual) = AddAndNorm(x, residual, attention, p + "post_attention_layernorm.weight", eps);
            var mlp = Mlp(x, p, normed);
            var nextNorm = l + 1 < c.NumLayers ? "layers." + (l + 1).ToString(CultureInfo.InvariantCulture) + ".input_layernorm.weight" : "norm.weight";
            (normed, residual) = AddAndNorm(x, residual, mlp, nextNorm, eps);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"layer {l + 1}/{c.NumLayers}"));
        }

        g.Node("Identity", [normed], HiddenStatesValue);
        Pool(x, HiddenStatesValue, lengths);
        g.AddOutput(EmbeddingsOutput, DataType.Float, "batch", c.HiddenSize);
    }

    /// <summary>
    /// Mean over each row's real tokens as one batched MatMul (the mask scaled by 1/length times the hidden
    /// states, accumulated in float32 by the GEMM, so no masked copy of the states is made), widened to
    /// float32; then each row keeps its first <see cref="RowDimensionsInput"/> values and is L2-normalised.
    /// </summary>
    private static void Pool(BuildContext x, string states, string lengths)
    {
        var g = x.Graph;
        var c = x.Config;
        var divisor = g.Node("Max", [g.Node("Cast", [lengths], attributes: Attr("to", (long)DataType.Float)), g.AddFloat(g.NewName("one"), [], [1f])]);
        var weights = g.Node("Div", [MaskAsFloat(g), g.Node("Unsqueeze", [divisor, g.Int64s(1)])]);
        if (x.Compute != SafetensorsDType.F32)
        {
            weights = g.Node("Cast", [weights], attributes: Attr("to", (long)x.ComputeType));
        }

        var mean = g.Node("MatMul", [g.Node("Unsqueeze", [weights, g.Int64s(1)]), states]);
        if (x.Compute != SafetensorsDType.F32)
        {
            mean = g.Node("Cast", [mean], attributes: Attr("to", (long)DataType.Float));
        }

        mean = g.Node("Squeeze", [mean, g.Int64s(1)]);
        var positions = new long[c.HiddenSize];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = i;
        }

        var keep = g.Node("Less", [g.Int64s(positions), g.Node("Unsqueeze", [RowDimensionsInput, g.Int64s(1)])]);
        var kept = g.Node("Mul", [mean, g.Node("Cast", [keep], attributes: Attr("to", (long)DataType.Float))]);
        var norm = g.Node("Sqrt", [g.Node("ReduceSum", [g.Node("Mul", [kept, kept]), g.Int64s(1)], attributes: Attr("keepdims", 1L))]);
        g.Node("Div", [kept, g.Node("Max", [norm, g.AddFloat(g.NewName("epsilon"), [], [1e-12f])])], EmbeddingsOutput);
    }

    /// <summary>The attention mask as float32, shared by every node that needs it.</summary>
    private static string MaskAsFloat(OnnxGraphWriter g) => g.Shared("mask_float", () => g.Node("Cast", ["attention_mask"], attributes: Attr("to", (long)DataType.Float)));

    private static (string Cos, string Sin, string? Positions) BuildRope(BuildContext x, int maxPositions, string seqLen)
    {
        var g = x.Graph;
        var c = x.Config;
        var inv = c.ComputeInverseFrequencies();
        var half = inv.Length;
        var plain = x.Variant == GraphVariant.Plain;
        var width = plain ? 2 * half : half; // the plain graph multiplies whole heads, so halves are repeated
        var cos = new float[(long)maxPositions * width];
        var sin = new float[(long)maxPositions * width];
        for (var pos = 0; pos < maxPositions; pos++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = pos * inv[i];
                var (s, co) = Math.SinCos(angle);
                cos[(pos * width) + i] = (float)co;
                sin[(pos * width) + i] = (float)s;
                if (plain)
                {
                    cos[(pos * width) + half + i] = (float)co;
                    sin[(pos * width) + half + i] = (float)s;
                }
            }
        }

        var cosTable = x.Values("rope_cos", [maxPositions, width], cos);
        var sinTable = x.Values("rope_sin", [maxPositions, width], sin);
        if (!plain)
        {
            // RotaryEmbedding takes a 1-element position_ids as the first position of every row.
            return (cosTable, sinTable, g.Int64s(0));
        }

        var cosS = g.Node("Slice", [cosTable, g.Int64s(0), seqLen, g.Int64s(0)]);
        var sinS = g.Node("Slice", [sinTable, g.Int64s(0), seqLen, g.Int64s(0)]);
        return (cosS, sinS, null);
    }

    private static string RmsNorm(OnnxGraphWriter g, string input, string weight, float eps)
    {
        var meanSquare = g.Node("ReduceMean", [g.Node("Mul", [input, input]), g.Int64s(-1)], attributes: Attr("keepdims", 1L));
        var rms = g.Node("Sqrt", [g.Node("Add", [meanSquare, g.Scalar(eps)])]);
        return g.Node("Mul", [g.Node("Div", [input, rms]), weight]);
    }

    private static (string Normed, string Residual) AddAndNorm(BuildContext x, string residual, string delta, string normWeight, float eps)
    {
        var g = x.Graph;
        if (x.Variant != GraphVariant.Plain)
        {
            // One kernel: residual + delta (kept as the next residual) and its RMSNorm.
            var normedName = g.NewName("skip_norm");
            var sumName = g.NewName("residual");
            g.NodeMulti("SkipSimplifiedLayerNormalization", [residual, delta, x.Norm(normWeight)], [normedName, string.Empty, string.Empty, sumName], MicrosoftDomain, Attr("epsilon", eps));
            return (normedName, sumName);
        }

        var sum = g.Node("Add", [residual, delta]);
        return (RmsNorm(g, sum, x.Norm(normWeight), eps), sum);
    }

    private static string PlainAttention(BuildContext x, string p, string input, (string Cos, string Sin, string? Positions) rope, string maskBias)
    {
        var g = x.Graph;
        var c = x.Config;
        var (q, k, v) = QkvProjection(x, p, input);
        var q4 = g.Node("Transpose", [g.Node("Reshape", [q, g.Int64s(0, 0, c.NumHeads, c.HeadDim)])], attributes: Attr("perm", [0L, 2, 1, 3]));
        var k4 = g.Node("Transpose", [g.Node("Reshape", [k, g.Int64s(0, 0, c.NumKeyValueHeads, c.HeadDim)])], attributes: Attr("perm", [0L, 2, 1, 3]));
        var v4 = g.Node("Transpose", [g.Node("Reshape", [v, g.Int64s(0, 0, c.NumKeyValueHeads, c.HeadDim)])], attributes: Attr("perm", [0L, 2, 1, 3]));
        q4 = ApplyRope(g, c, q4, rope.Cos, rope.Sin);
        k4 = ApplyRope(g, c, k4, rope.Cos, rope.Sin);
        var group = c.NumHeads / c.NumKeyValueHeads;
        if (group > 1)
        {
            k4 = RepeatKvHeads4D(g, c, k4, group);
            v4 = RepeatKvHeads4D(g, c, v4, group);
        }

        var scores = g.Node("MatMul", [q4, g.Node("Transpose", [k4], attributes: Attr("perm", [0L, 1, 3, 2]))]);
        var scaled = g.Node("Mul", [scores, g.Scalar((float)(1.0 / Math.Sqrt(c.HeadDim)))]);
        var probabilities = g.Node("Softmax", [g.Node("Add", [scaled, maskBias])], attributes: Attr("axis", -1L));
        var context = g.Node("MatMul", [probabilities, v4]);
        var merged = g.Node("Reshape", [g.Node("Transpose", [context], attributes: Attr("perm", [0L, 2, 1, 3])), g.Int64s(0, 0, c.NumHeads * c.HeadDim)]);
        return g.Node("MatMul", [merged, x.Linear(p + "self_attn.o_proj.weight")]);
    }

    private static string FusedAttention(BuildContext x, string p, string input, (string Cos, string Sin, string? Positions) rope, string padding, string? unpadded)
    {
        var g = x.Graph;
        var c = x.Config;
        var (q, k, v) = QkvProjection(x, p, input);
        q = g.Node("RotaryEmbedding", [q, rope.Positions!, rope.Cos, rope.Sin], domain: MicrosoftDomain,
            attributes: [Attr("interleaved", 0L), Attr("num_heads", (long)c.NumHeads), Attr("rotary_embedding_dim", (long)c.HeadDim)]);
        k = g.Node("RotaryEmbedding", [k, rope.Positions!, rope.Cos, rope.Sin], domain: MicrosoftDomain,
            attributes: [Attr("interleaved", 0L), Attr("num_heads", (long)c.NumKeyValueHeads), Attr("rotary_embedding_dim", (long)c.HeadDim)]);
        var scale = (float)(1.0 / Math.Sqrt(c.HeadDim));
        string context;
        if (x.Variant == GraphVariant.Fused)
        {
            // ONNX Attention (opset 24): grouped-query attention on the 3-D [batch, sequence, heads × dim]
            // projections as they are, bidirectional, keys beyond each row's length masked by nonpad_kv_seqlen.
            string Masked() => g.Node("Attention", [q, k, v, string.Empty, string.Empty, string.Empty, padding],
                attributes: [Attr("is_causal", 0L), Attr("q_num_heads", (long)c.NumHeads), Attr("kv_num_heads", (long)c.NumKeyValueHeads), Attr("scale", scale)]);
            if (unpadded is null)
            {
                context = Masked();
            }
            else
            {
                // NOTE: ONNX Runtime's CPU kernels for both operators hold every score of a batch at once (rows × heads ×
                // length² floats: 8 GiB for one 8,192-token input), except com.microsoft MultiHeadAttention without a
                // padding mask, which runs its flash-attention kernel over L2-sized tiles. So a batch with no padding
                // (a lone long input, rows of one length) takes that kernel, with the K/V heads repeated to the query
                // heads; a padded batch keeps the masked operator.
                var group = c.NumHeads / c.NumKeyValueHeads;
                var flash = g.Subgraph("then_branch", x.ComputeType, () => g.Node("MultiHeadAttention",
                    [q, group > 1 ? RepeatKvHeads3D(g, c, k, group) : k, group > 1 ? RepeatKvHeads3D(g, c, v, group) : v],
                    domain: MicrosoftDomain, attributes: [Attr("num_heads", (long)c.NumHeads), Attr("scale", scale)]));
                var masked = g.Subgraph("else_branch", x.ComputeType, Masked);
                context = g.Node("If", [unpadded], attributes: [flash, masked]);
            }
        }
        else
        {
            var group = c.NumHeads / c.NumKeyValueHeads;
            if (group > 1)
            {
                // MultiHeadAttention wants as many key/value heads as query heads: repeat each KV head.
                k = RepeatKvHeads3D(g, c, k, group);
                v = RepeatKvHeads3D(g, c, v, group);
            }

            context = g.Node("MultiHeadAttention", [q, k, v, string.Empty, padding], domain: MicrosoftDomain,
                attributes: [Attr("num_heads", (long)c.NumHeads), Attr("scale", scale)]);
        }

        return g.Node("MatMul", [context, x.Linear(p + "self_attn.o_proj.weight")]);
    }

    /// <summary>
    /// Q, K and V as three MatMuls of the same input: the attention takes them as separate tensors, and
    /// one concatenated MatMul would need a Split, a copy of all three, per layer.
    /// </summary>
    private static (string Q, string K, string V) QkvProjection(BuildContext x, string p, string input) => (
        x.Graph.Node("MatMul", [input, x.Linear(p + "self_attn.q_proj.weight")]),
        x.Graph.Node("MatMul", [input, x.Linear(p + "self_attn.k_proj.weight")]),
        x.Graph.Node("MatMul", [input, x.Linear(p + "self_attn.v_proj.weight")]));

    private static string ApplyRope(OnnxGraphWriter g, LlamaConfig c, string x4, string cos, string sin)
    {
        // NOTE: Llama's rotary embedding rotates the two halves of each head (rotate_half), not interleaved pairs.
        var first = g.NewName("rope_x1");
        var second = g.NewName("rope_x2");
        g.NodeMulti("Split", [x4, g.Int64s(c.HeadDim / 2, c.HeadDim / 2)], [first, second], attributes: Attr("axis", -1L));
        var rotated = g.Node("Concat", [g.Node("Neg", [second]), first], attributes: Attr("axis", -1L));
        return g.Node("Add", [g.Node("Mul", [x4, cos]), g.Node("Mul", [rotated, sin])]);
    }

    private static string RepeatKvHeads4D(OnnxGraphWriter g, LlamaConfig c, string kv, int group)
    {
        var expanded = g.Node("Expand", [g.Node("Unsqueeze", [kv, g.Int64s(2)]), g.Int64s(1, 1, group, 1, 1)]);
        return g.Node("Reshape", [expanded, g.Int64s(0, c.NumHeads, -1, c.HeadDim)]);
    }

    private static string RepeatKvHeads3D(OnnxGraphWriter g, LlamaConfig c, string kv, int group)
    {
        var split = g.Node("Reshape", [kv, g.Int64s(0, 0, c.NumKeyValueHeads, 1, c.HeadDim)]);
        var expanded = g.Node("Expand", [split, g.Int64s(1, 1, 1, group, 1)]);
        return g.Node("Reshape", [expanded, g.Int64s(0, 0, c.NumHeads * c.HeadDim)]);
    }

    /// <summary>
    /// SwiGLU: down(silu(gate(x)) × up(x)). Gate and up are separate MatMuls for the same reason as Q/K/V;
    /// ONNX Runtime fuses x × Sigmoid(x) into one QuickGelu kernel.
    /// </summary>
    private static string Mlp(BuildContext x, string p, string input)
    {
        var g = x.Graph;
        var gate = g.Node("MatMul", [input, x.Linear(p + "mlp.gate_proj.weight")]);
        var up = g.Node("MatMul", [input, x.Linear(p + "mlp.up_proj.weight")]);
        var activated = g.Node("Mul", [g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]), up]);
        return g.Node("MatMul", [activated, x.Linear(p + "mlp.down_proj.weight")]);
    }
}
