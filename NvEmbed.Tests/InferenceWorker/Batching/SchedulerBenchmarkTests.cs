using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

public class SchedulerBenchmarkTests
{
    [Fact]
    public async Task RunAsync_ShortSyntheticRun_BatchingServesMoreThanBatchOfOneWithoutErrors()
    {
        // Arrange: the quick version of `bench-scheduler` (the real one runs minutes, not in the test run).
        using var output = new StringWriter();

        // Act
        var exit = await SchedulerBenchmark.RunAsync(
            ["bench-scheduler", "--backend", "synthetic", "--seconds", "1", "--concurrency", "16", "--modes", "batched,single"],
            output).WaitAsync(TimeSpan.FromSeconds(60));

        // Assert: one table row per mode; batching beats batch-of-one at 16 callers (the synthetic backend
        // has a fixed cost per batch), and no call failed.
        Assert.Equal(0, exit);
        var rows = output.ToString().Split('\n').Where(l => l.StartsWith("| batched", StringComparison.Ordinal) || l.StartsWith("| single", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries)).ToArray();
        Assert.Equal(2, rows.Length);
        var batched = double.Parse(rows[0][3], System.Globalization.CultureInfo.InvariantCulture);
        var single = double.Parse(rows[1][3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(batched > 1.5 * single, $"batched {batched} req/s vs batch-of-one {single} req/s");
        Assert.All(rows, r => Assert.Equal("0", r[9]));
    }

    [Fact]
    public void NextLength_ManyDraws_SeventyPercentQueriesAndPassagesUpToTheCap()
    {
        // Arrange
        var random = new Random(1);

        // Act
        var lengths = Enumerable.Range(0, 10000).Select(_ => SchedulerBenchmark.NextLength(random, 512)).ToArray();

        // Assert
        var queries = lengths.Count(l => l <= 48) / (double)lengths.Length;
        Assert.InRange(queries, 0.67, 0.73);
        Assert.All(lengths, l => Assert.InRange(l, 8, 512));
    }
}
