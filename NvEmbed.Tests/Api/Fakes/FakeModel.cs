using System.Buffers.Binary;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>
/// The definition the fake tokenizer and the fake worker share, so tests can compute what the Api must answer:
/// every UTF-16 unit is one token (id = 256 + code), BOS is id 1, and a vector is a position-aware mean of
/// sines of the ids, sliced to the requested size and L2-normalised.
/// </summary>
public static class FakeModel
{
    public const int BosId = 1;
    public const string BosText = "<|begin_of_text|>";
    public const int IdOffset = 256;
    public const int VocabSize = IdOffset + 65536;
    public static readonly int[] Dimensions = [4, 8, 16];

    public static int FullDimensions => Dimensions[^1];

    /// <summary>The ids of <paramref name="text"/>, BOS first when <paramref name="addBos"/>.</summary>
    public static int[] Tokenize(string text, bool addBos = true)
    {
        var ids = new int[text.Length + (addBos ? 1 : 0)];
        var i = 0;
        if (addBos)
        {
            ids[i++] = BosId;
        }

        foreach (var c in text)
        {
            ids[i++] = IdOffset + c;
        }

        return ids;
    }

    /// <summary>The vector the fake worker computes for <paramref name="ids"/>.</summary>
    public static float[] Vector(ReadOnlySpan<int> ids, int dimensions, bool normalize = true)
    {
        var size = dimensions == 0 ? FullDimensions : dimensions;
        var vector = new float[size];
        for (var j = 0; j < size; j++)
        {
            double sum = 0;
            for (var p = 0; p < ids.Length; p++)
            {
                sum += Math.Sin((ids[p] * 0.37) + (p * 0.11) + (j * 1.3)) + (0.05 * j);
            }

            vector[j] = (float)(sum / Math.Max(ids.Length, 1));
        }

        if (normalize)
        {
            var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
            for (var j = 0; j < size; j++)
            {
                vector[j] = (float)(vector[j] / norm);
            }
        }

        return vector;
    }

    /// <summary>Little-endian float32 bytes of <paramref name="vector"/>.</summary>
    public static byte[] Pack(float[] vector)
    {
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return bytes;
    }
}
