namespace NvEmbed.Api.Embedding;

/// <summary>Cuts a tokenized request into worker calls of at most a token budget each, keeping sequences whole and in order.</summary>
public static class WorkerCallPlanner
{
    /// <summary>
    /// Ranges <c>[start, end)</c> of sequence indexes: consecutive sequences are grouped while their tokens fit in
    /// <paramref name="maxTokensPerCall"/>; a sequence longer than the budget goes alone.
    /// </summary>
    public static List<Range> Plan(ReadOnlySpan<int> cuSeqLengths, int maxTokensPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cuSeqLengths.Length, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokensPerCall);
        var count = cuSeqLengths.Length - 1;
        var calls = new List<Range>();
        var start = 0;
        for (var i = 1; i <= count; i++)
        {
            var tokens = cuSeqLengths[i] - cuSeqLengths[start];
            if (tokens > maxTokensPerCall && i - 1 > start)
            {
                calls.Add(start..(i - 1));
                start = i - 1;
            }
        }

        if (count > start)
        {
            calls.Add(start..count);
        }

        return calls;
    }
}
