namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// Chooses the rows of the next batch from a window of queued sequences.
/// </summary>
/// <remarks>
/// The window is sorted by length and the batch is a run of neighbours in that order, so rows of
/// similar length share a batch and padding stays low. The run always contains the oldest sequence of
/// the window: every batch serves the head of the queue, so no sequence waits behind more than the
/// batches cut before it became the oldest (no starvation, unlike a pure shortest-first order). The run
/// grows one neighbour at a time, taking the side that adds the fewest padding tokens, while the padded
/// size (rows × longest row) fits the token budget, the row limit holds, and the batch's padding ratio
/// stays within the limit.
/// </remarks>
public static class BatchPlanner
{
    /// <summary>Plans one batch.</summary>
    /// <param name="lengths">Lengths of the window's sequences in arrival order; index 0 is the oldest.</param>
    /// <param name="maxBatchTokens">Most padded tokens.</param>
    /// <param name="maxRows">Most rows.</param>
    /// <param name="maxPaddingRatio">Most padding, as a fraction of the padded tokens.</param>
    /// <param name="scratch">Scratch space, at least <c>lengths.Length</c> long.</param>
    /// <param name="chosen">Receives the window indices of the rows, shortest first; at least <c>lengths.Length</c> long.</param>
    /// <returns>The number of rows written to <paramref name="chosen"/> (at least 1 for a non-empty window).</returns>
    public static int Plan(
        ReadOnlySpan<int> lengths,
        int maxBatchTokens,
        int maxRows,
        double maxPaddingRatio,
        Span<long> scratch,
        Span<int> chosen)
    {
        var n = lengths.Length;
        if (n == 0)
        {
            return 0;
        }

        // Sort by (length, arrival) packed into one key, so the sort needs no comparer.
        var keys = scratch[..n];
        for (var i = 0; i < n; i++)
        {
            keys[i] = ((long)lengths[i] << 32) | (uint)i;
        }

        keys.Sort();
        var head = 0;
        while ((int)(keys[head] & 0xFFFF_FFFF) != 0)
        {
            head++;
        }

        var lo = head;
        var hi = head;
        long longest = lengths[0];
        long real = longest;
        var rows = 1;
        while (rows < maxRows)
        {
            // Shorter neighbour: the batch keeps its longest row; the new row pads up to it.
            var leftCost = long.MaxValue;
            if (lo > 0)
            {
                long length = (int)(keys[lo - 1] >> 32);
                if (Fits(rows + 1, longest, real + length, maxBatchTokens, maxPaddingRatio))
                {
                    leftCost = longest - length;
                }
            }

            // Longer neighbour: every row already in pads up to it.
            var rightCost = long.MaxValue;
            if (hi < n - 1)
            {
                long length = (int)(keys[hi + 1] >> 32);
                if (Fits(rows + 1, length, real + length, maxBatchTokens, maxPaddingRatio))
                {
                    rightCost = rows * (length - longest);
                }
            }

            if (leftCost == long.MaxValue && rightCost == long.MaxValue)
            {
                break;
            }

            if (leftCost <= rightCost)
            {
                lo--;
                real += (int)(keys[lo] >> 32);
            }
            else
            {
                hi++;
                longest = (int)(keys[hi] >> 32);
                real += longest;
            }

            rows++;
        }

        for (var i = lo; i <= hi; i++)
        {
            chosen[i - lo] = (int)(keys[i] & 0xFFFF_FFFF);
        }

        return rows;
    }

    private static bool Fits(int rows, long longest, long real, int maxBatchTokens, double maxPaddingRatio)
    {
        var padded = rows * longest;
        return padded <= maxBatchTokens && (padded - real) <= maxPaddingRatio * padded;
    }
}
