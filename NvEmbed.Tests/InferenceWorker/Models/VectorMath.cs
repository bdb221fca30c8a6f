namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>Vector comparisons for the numerical checks.</summary>
internal static class VectorMath
{
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var wide = new double[b.Length];
        for (var i = 0; i < b.Length; i++)
        {
            wide[i] = b[i];
        }

        return Cosine(a, wide);
    }

    public static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }

    /// <summary>Deterministic token ids in [0, vocab).</summary>
    public static long[] RandomIds(int length, int vocab, int seed)
    {
        var random = new Random(seed);
        var ids = new long[length];
        for (var i = 0; i < length; i++)
        {
            ids[i] = random.Next(vocab);
        }

        return ids;
    }
}
