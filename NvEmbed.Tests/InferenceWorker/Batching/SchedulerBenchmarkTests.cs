using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

public class SchedulerBenchmarkTests
{
    [Fact]
    public async Task RunAsync_ShortSyntheticRun_ReportsSharedBatchesAndNoErrors()
    {
        // Arrange: the quick version of `bench-scheduler` (the real one runs minutes, not in the test run).
        // Throughput figures are not asserted: the test machine is shared and its load varies tenfold.
        using var output = new StringWriter();

        // Act
        var exit = await SchedulerBenchmark.RunAsync(
            ["bench-scheduler", "--backend", "synthetic", "--seconds", "3", "--concurrency", "16", "--modes", "batched"],
            output).WaitAsync(TimeSpan.FromSeconds(60));

        // Assert: one table row; 16 callers against a backend with a fixed cost per batch share batches.
        Assert.Equal(0, exit);
        var row = Assert.Single(output.ToString().Split('\n'), l => l.StartsWith("| batched", StringComparison.Ordinal))
            .Split('|', StringSplitOptions.TrimEntries);
        Assert.True(double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture) > 0, output.ToString());
        Assert.True(double.Parse(row[8], System.Globalization.CultureInfo.InvariantCulture) > 1, output.ToString());
        Assert.Equal("0", row[9]);
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
