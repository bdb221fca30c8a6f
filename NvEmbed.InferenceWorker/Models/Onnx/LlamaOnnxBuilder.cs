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
/// only) → residual → RMSNorm → SwiGLU MLP → residual, final RMSNorm; outputs
/// <c>last_hidden_state [batch, sequence, hidden]</c> and <c>embeddings [batch, hidden]</c> (mean over
/// the attention mask, L2-normalised). Inputs: <c>input_ids</c> and <c>attention_mask</c>, int64
/// <c>[batch, sequence]</c>.
/// </summary>
public static class LlamaOnnxBuilder
{
    /// <summary>Changes whenever the graph a given model builds to changes; older builds are rebuilt.</summary>
    public const string GeneratorVersion = "1";

    /// <summary>Name of the token-states output.</summary>
    public const string HiddenStatesOutput = "last_hidden_state";

    /// <summary>Name of the pooled, normalised output.</summary>
    public const string EmbeddingsOutput = "embeddings";

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
        var precision = options.Precision ?? weights.PredominantDType;
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
        progress?.Report(string.Create(CultureInfo.InvariantCulture,
            $"building {options.Variant.ToString().ToLowerInvariant()} {precisionName} graph: {c}; {weightBytes / (1 << 20)} MiB of weights{(external ? " (external data)" : string.Empty)}{(lora is null ? string.Empty : $", LoRA {lora.Directory} merged")}"));

        using var g = new OnnxGraphWriter(external ? Path.Combine(outDir, OnnxFileNames.ExternalData) : null);
        var ctx = new BuildContext(g, weights, lora, precision, c, options.Variant);
        BuildGraph(ctx, maxPositions, progress);
        g.Save(Path.Combine(outDir, ModelDirectory.OnnxFileName), new Dictionary<string, string>
        {
            ["nvembed.generator_version"] = GeneratorVersion,
            ["nvembed.pooling"] = "mean",
            ["nvembed.normalized"] = "true",
            ["nvembed.precision"] = precisionName,
            ["nvembed.variant"] = options.Variant.ToString().ToLowerInvariant(),
        }, usesMicrosoftDomain: options.Variant == GraphVariant.Fused);

        var manifest = new OnnxBuildManifest
        {
            GeneratorVersion = GeneratorVersion,
            Precision = precisionName,
            Variant = options.Variant.ToString().ToLowerInvariant(),
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
        var fused = x.Variant == GraphVariant.Fused;
        g.AddInput("input_ids", DataType.Int64, "batch", "sequence");
        g.AddInput("attention_mask", DataType.Int64, "batch", "sequence");

        // Embedding: gather in the stored precision, then widen only the gathered rows.
        var embed = x.Embedding();
        var hidden = g.Node("Gather", [embed, "input_ids"], attributes: Attr("axis", 0L));
        if (x.Precision != SafetensorsDType.F32)
        {
            hidden = g.Node("Cast", [hidden], attributes: Attr("to", (long)DataType.Float));
        }

        var maskF = g.Node("Cast", ["attention_mask"], attributes: Attr("to", (long)DataType.Float));
        var ids2dShape = g.Node("Shape", ["input_ids"]);
        var seqLen = g.Node("Slice", [ids2dShape, g.Int64s(1), g.Int64s(2)]);

        var rope = BuildRope(x, maxPositions, ids2dShape, seqLen);
        var attentionMask = fused
            ? g.Node("Cast", ["attention_mask"], attributes: Attr("to", (long)DataType.Int32))
            : g.Node("Unsqueeze", [g.Node("Mul", [g.Node("Sub", [maskF, g.Scalar(1f)]), g.Scalar(1e9f)]), g.Int64s(1, 2)]);

        var eps = (float)c.RmsNormEps;
        string residual = hidden;
        string normed = fused
            ? g.Node("SimplifiedLayerNormalization", [hidden, x.Norm("layers.0.input_layernorm.weight")], attributes: [Attr("axis", -1L), Attr("epsilon", eps), Attr("stash_type", 1L)])
            : RmsNorm(g, hidden, x.Norm("layers.0.input_layernorm.weight"), eps);

        for (var l = 0; l < c.NumLayers; l++)
        {
            var p = "layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            var attention = fused ? FusedAttention(x, p, normed, rope, attentionMask) : PlainAttention(x, p, normed, rope, attentionMask);
            (normed, residual) = AddAndNorm(x, residual, attention, p + "post_attention_layernorm.weight", eps);
            var mlp = Mlp(x, p, normed);
            var nextNorm = l + 1 < c.NumLayers ? "layers." + (l + 1).ToString(CultureInfo.InvariantCulture) + ".input_layernorm.weight" : "norm.weight";
            (normed, residual) = AddAndNorm(x, residual, mlp, nextNorm, eps);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"layer {l + 1}/{c.NumLayers}"));
        }

        g.Node("Identity", [normed], HiddenStatesOutput);

        // Mean over the attention mask, then L2 normalisation.
        var mask3 = g.Node("Unsqueeze", [maskF, g.Int64s(2)]);
        var sum = g.Node("ReduceSum", [g.Node("Mul", [normed, mask3]), g.Int64s(1)], attributes: Attr("keepdims", 0L));
        var count = g.Node("Max", [g.Node("ReduceSum", [mask3, g.Int64s(1)], attributes: Attr("keepdims", 0L)), g.Scalar(1f)]);
        var mean = g.Node("Div", [sum, count]);
        var norm = g.Node("Sqrt", [g.Node("ReduceSum", [g.Node("Mul", [mean, mean]), g.Int64s(1)], attributes: Attr("keepdims", 1L))]);
        g.Node("Div", [mean, g.Node("Max", [norm, g.Scalar(1e-12f)])], EmbeddingsOutput);

        g.AddOutput(HiddenStatesOutput, DataType.Float, "batch", "sequence", c.HiddenSize);
        g.AddOutput(EmbeddingsOutput, DataType.Float, "batch", c.HiddenSize);
    }

    private static (string Cos, string Sin, string? Positions) BuildRope(BuildContext x, int maxPositions, string idsShape, string seqLen)
    {
        var g = x.Graph;
        var c = x.Config;
        var inv = c.ComputeInverseFrequencies();
        var half = inv.Length;
        var fused = x.Variant == GraphVariant.Fused;
        var width = fused ? half : 2 * half; // the plain graph multiplies whole heads, so halves are repeated
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
                if (!fused)
                {
                    cos[(pos * width) + half + i] = (float)co;
                    sin[(pos * width) + half + i] = (float)s;
                }
            }
        }

        var cosTable = g.AddFloat("rope_cos", [maxPositions, width], cos);
        var sinTable = g.AddFloat("rope_sin", [maxPositions, width], sin);
        if (fused)
        {
            var seqScalar = g.Node("Squeeze", [seqLen, g.Int64s(0)]);
            var range = g.Node("Range", [g.Node("Squeeze", [g.Int64s(0), g.Int64s(0)]), seqScalar, g.Node("Squeeze", [g.Int64s(1), g.Int64s(0)])]);
            var positions = g.Node("Expand", [g.Node("Unsqueeze", [range, g.Int64s(0)]), idsShape]);
            return (cosTable, sinTable, positions);
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
        if (x.Variant == GraphVariant.Fused)
        {
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

    private static string FusedAttention(BuildContext x, string p, string input, (string Cos, string Sin, string? Positions) rope, string keyPaddingMask)
    {
        var g = x.Graph;
        var c = x.Config;
        var (q, k, v) = QkvProjection(x, p, input);
        q = g.Node("RotaryEmbedding", [q, rope.Positions!, rope.Cos, rope.Sin], domain: MicrosoftDomain,
            attributes: [Attr("interleaved", 0L), Attr("num_heads", (long)c.NumHeads), Attr("rotary_embedding_dim", (long)c.HeadDim)]);
        k = g.Node("RotaryEmbedding", [k, rope.Positions!, rope.Cos, rope.Sin], domain: MicrosoftDomain,
            attributes: [Attr("interleaved", 0L), Attr("num_heads", (long)c.NumKeyValueHeads), Attr("rotary_embedding_dim", (long)c.HeadDim)]);
        var group = c.NumHeads / c.NumKeyValueHeads;
        if (group > 1)
        {
            // MultiHeadAttention wants as many key/value heads as query heads: repeat each KV head.
            k = RepeatKvHeads3D(g, c, k, group);
            v = RepeatKvHeads3D(g, c, v, group);
        }

        var context = g.Node("MultiHeadAttention", [q, k, v, string.Empty, keyPaddingMask], domain: MicrosoftDomain,
            attributes: [Attr("num_heads", (long)c.NumHeads), Attr("scale", (float)(1.0 / Math.Sqrt(c.HeadDim)))]);
        return g.Node("MatMul", [context, x.Linear(p + "self_attn.o_proj.weight")]);
    }

    private static (string Q, string K, string V) QkvProjection(BuildContext x, string p, string input)
    {
        var c = x.Config;
        var qkvWeight = x.ConcatenatedLinear(p + "self_attn.qkv", [p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"]);
        var qkv = x.Graph.Node("MatMul", [input, qkvWeight]);
        var q = x.Graph.NewName("q");
        var k = x.Graph.NewName("k");
        var v = x.Graph.NewName("v");
        x.Graph.NodeMulti("Split", [qkv, x.Graph.Int64s(c.NumHeads * c.HeadDim, c.NumKeyValueHeads * c.HeadDim, c.NumKeyValueHeads * c.HeadDim)], [q, k, v], attributes: Attr("axis", -1L));
        return (q, k, v);
    }

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

    private static string Mlp(BuildContext x, string p, string input)
    {
        var g = x.Graph;
        var c = x.Config;
        var gateUpWeight = x.ConcatenatedLinear(p + "mlp.gate_up", [p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"]);
        var gateUp = g.Node("MatMul", [input, gateUpWeight]);
        var gate = g.NewName("gate");
        var up = g.NewName("up");
        g.NodeMulti("Split", [gateUp, g.Int64s(c.IntermediateSize, c.IntermediateSize)], [gate, up], attributes: Attr("axis", -1L));
        var activated = g.Node("Mul", [g.Node("Mul", [gate, g.Node("Sigmoid", [gate])]), up]);
        return g.Node("MatMul", [activated, x.Linear(p + "mlp.down_proj.weight")]);
    }
}
