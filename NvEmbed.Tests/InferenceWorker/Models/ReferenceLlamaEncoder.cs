using System.Globalization;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>
/// A plain C# forward pass of the bidirectional Llama encoder, written from the model's definition
/// with straightforward loops and double accumulation, over the same safetensors the graph is built
/// from. It shares no code with the ONNX builder beyond reading the files: the rotary frequencies,
/// attention, norms and pooling are computed here independently.
/// </summary>
public sealed class ReferenceLlamaEncoder
{
    private readonly LlamaConfig _c;
    private readonly Dictionary<string, float[]> _w = new(StringComparer.Ordinal);
    private readonly double[] _inverseFrequencies;

    private ReferenceLlamaEncoder(LlamaConfig config, Dictionary<string, float[]> weights)
    {
        _c = config;
        _w = weights;
        _inverseFrequencies = InverseFrequencies(config);
    }

    /// <summary>Loads every tensor of <paramref name="modelDir"/> as float32.</summary>
    public static ReferenceLlamaEncoder Load(string modelDir)
    {
        var config = LlamaConfig.Load(modelDir);
        var loaded = new Dictionary<string, float[]>(StringComparer.Ordinal);
        using var file = SafetensorsWeights.Open(modelDir);
        foreach (var name in file.Names)
        {
            loaded[name] = ReadAny(file, name);
        }

        return new ReferenceLlamaEncoder(config, loaded);
    }

    /// <summary>The weights by name, as float32 (tests change them to build merged references).</summary>
    public IDictionary<string, float[]> Weights => _w;

    /// <summary>Pooled, L2-normalised embedding of one sequence.</summary>
    public double[] Embed(IReadOnlyList<long> ids)
    {
        var h = _c.HiddenSize;
        var s = ids.Count;
        var x = new double[s * h];
        var embed = _w["embed_tokens.weight"];
        for (var t = 0; t < s; t++)
        {
            for (var i = 0; i < h; i++)
            {
                x[(t * h) + i] = embed[(ids[t] * h) + i];
            }
        }

        for (var l = 0; l < _c.NumLayers; l++)
        {
            var p = "layers." + l.ToString(CultureInfo.InvariantCulture) + ".";
            var normed = RmsNorm(x, s, _w[p + "input_layernorm.weight"]);
            var attention = Attention(normed, s, p);
            for (var i = 0; i < x.Length; i++)
            {
                x[i] += attention[i];
            }

            normed = RmsNorm(x, s, _w[p + "post_attention_layernorm.weight"]);
            var mlp = Mlp(normed, s, p);
            for (var i = 0; i < x.Length; i++)
            {
                x[i] += mlp[i];
            }
        }

        var final = RmsNorm(x, s, _w["norm.weight"]);
        var pooled = new double[h];
        for (var t = 0; t < s; t++)
        {
            for (var i = 0; i < h; i++)
            {
                pooled[i] += final[(t * h) + i];
            }
        }

        double norm = 0;
        for (var i = 0; i < h; i++)
        {
            pooled[i] /= s;
            norm += pooled[i] * pooled[i];
        }

        norm = Math.Sqrt(norm);
        for (var i = 0; i < h; i++)
        {
            pooled[i] /= norm;
        }

        return pooled;
    }

    private static float[] ReadAny(SafetensorsWeights weights, string name) =>
        weights.ReadSingle(name, weights.Find(name)!.Shape);

    private static double[] InverseFrequencies(LlamaConfig c)
    {
        // Llama 3 rope scaling, from its definition: wavelengths longer than original/low are slowed
        // by the factor, shorter than original/high kept, and interpolated between.
        var d = c.HeadDim;
        var result = new double[d / 2];
        for (var i = 0; i < d / 2; i++)
        {
            var frequency = Math.Pow(c.RopeTheta, -(2.0 * i) / d);
            if (c.RopeScaling is { } r)
            {
                var wavelength = 2 * Math.PI / frequency;
                var lowLimit = r.OriginalMaxPositionEmbeddings / r.LowFrequencyFactor;
                var highLimit = r.OriginalMaxPositionEmbeddings / r.HighFrequencyFactor;
                if (wavelength > lowLimit)
                {
                    frequency /= r.Factor;
                }
                else if (wavelength >= highLimit)
                {
                    var mix = ((r.OriginalMaxPositionEmbeddings / wavelength) - r.LowFrequencyFactor) / (r.HighFrequencyFactor - r.LowFrequencyFactor);
                    frequency = (mix * frequency) + ((1 - mix) * (frequency / r.Factor));
                }
            }

            result[i] = frequency;
        }

        return result;
    }

    private double[] RmsNorm(double[] x, int s, float[] weight)
    {
        var h = _c.HiddenSize;
        var result = new double[x.Length];
        for (var t = 0; t < s; t++)
        {
            double sum = 0;
            for (var i = 0; i < h; i++)
            {
                sum += x[(t * h) + i] * x[(t * h) + i];
            }

            var scale = 1.0 / Math.Sqrt((sum / h) + _c.RmsNormEps);
            for (var i = 0; i < h; i++)
            {
                result[(t * h) + i] = x[(t * h) + i] * scale * weight[i];
            }
        }

        return result;
    }

    /// <summary>y = x · Wᵀ for W stored [out, in].</summary>
    private static double[] Linear(double[] x, int s, float[] weight, int inputs, int outputs)
    {
        var y = new double[s * outputs];
        for (var t = 0; t < s; t++)
        {
            for (var o = 0; o < outputs; o++)
            {
                double sum = 0;
                for (var i = 0; i < inputs; i++)
                {
                    sum += x[(t * inputs) + i] * weight[(o * inputs) + i];
                }

                y[(t * outputs) + o] = sum;
            }
        }

        return y;
    }

    private double[] Attention(double[] x, int s, string p)
    {
        var h = _c.HiddenSize;
        var d = _c.HeadDim;
        var heads = _c.NumHeads;
        var kvHeads = _c.NumKeyValueHeads;
        var q = Linear(x, s, _w[p + "self_attn.q_proj.weight"], h, heads * d);
        var k = Linear(x, s, _w[p + "self_attn.k_proj.weight"], h, kvHeads * d);
        var v = Linear(x, s, _w[p + "self_attn.v_proj.weight"], h, kvHeads * d);
        Rotate(q, s, heads);
        Rotate(k, s, kvHeads);

        var context = new double[s * heads * d];
        var scores = new double[s];
        var scale = 1.0 / Math.Sqrt(d);
        for (var head = 0; head < heads; head++)
        {
            var kvHead = head / (heads / kvHeads);
            for (var t = 0; t < s; t++)
            {
                var max = double.NegativeInfinity;
                for (var u = 0; u < s; u++)
                {
                    double dot = 0;
                    for (var i = 0; i < d; i++)
                    {
                        dot += q[(t * heads * d) + (head * d) + i] * k[(u * kvHeads * d) + (kvHead * d) + i];
                    }

                    scores[u] = dot * scale;
                    max = Math.Max(max, scores[u]);
                }

                double total = 0;
                for (var u = 0; u < s; u++)
                {
                    scores[u] = Math.Exp(scores[u] - max);
                    total += scores[u];
                }

                for (var u = 0; u < s; u++)
                {
                    var weight = scores[u] / total;
                    for (var i = 0; i < d; i++)
                    {
                        context[(t * heads * d) + (head * d) + i] += weight * v[(u * kvHeads * d) + (kvHead * d) + i];
                    }
                }
            }
        }

        return Linear(context, s, _w[p + "self_attn.o_proj.weight"], heads * d, h);
    }

    private void Rotate(double[] x, int s, int heads)
    {
        var d = _c.HeadDim;
        var half = d / 2;
        for (var t = 0; t < s; t++)
        {
            for (var head = 0; head < heads; head++)
            {
                var offset = (t * heads * d) + (head * d);
                for (var i = 0; i < half; i++)
                {
                    var angle = t * _inverseFrequencies[i];
                    var cos = Math.Cos(angle);
                    var sin = Math.Sin(angle);
                    var first = x[offset + i];
                    var second = x[offset + half + i];
                    x[offset + i] = (first * cos) - (second * sin);
                    x[offset + half + i] = (second * cos) + (first * sin);
                }
            }
        }
    }

    private double[] Mlp(double[] x, int s, string p)
    {
        var h = _c.HiddenSize;
        var m = _c.IntermediateSize;
        var gate = Linear(x, s, _w[p + "mlp.gate_proj.weight"], h, m);
        var up = Linear(x, s, _w[p + "mlp.up_proj.weight"], h, m);
        for (var i = 0; i < gate.Length; i++)
        {
            gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
        }

        return Linear(gate, s, _w[p + "mlp.down_proj.weight"], m, h);
    }
}
