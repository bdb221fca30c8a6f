using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

public class BatchPlannerTests
{
    private static int[] Plan(int[] lengths, int budget, int maxRows = 1024, double maxPadding = 1)
    {
        var chosen = new int[lengths.Length];
        var rows = BatchPlanner.Plan(lengths, budget, maxRows, maxPadding, new long[lengths.Length], chosen);
        return chosen[..rows];
    }

    [Fact]
    public void Plan_RandomWindows_FitsBudgetIncludesOldestAndChoosesEachOnce()
    {
        // Arrange
        var random = new Random(5);
        for (var trial = 0; trial < 500; trial++)
        {
            var lengths = Enumerable.Range(0, random.Next(1, 200)).Select(_ => random.Next(1, 300)).ToArray();
            var budget = random.Next(300, 4000);
            var maxRows = random.Next(1, 64);

            // Act
            var chosen = Plan(lengths, budget, maxRows, maxPadding: 0.2);

            // Assert
            Assert.Contains(0, chosen);
            Assert.Equal(chosen.Length, chosen.Distinct().Count());
            Assert.True(chosen.Length <= maxRows);
            var longest = chosen.Max(i => lengths[i]);
            Assert.True(chosen.Length == 1 || chosen.Length * longest <= budget);
            var real = chosen.Sum(i => lengths[i]);
            Assert.True(chosen.Length == 1 || (chosen.Length * longest) - real <= 0.2 * chosen.Length * longest);
        }
    }

    [Fact]
    public void Plan_MixedLengths_GroupsSimilarLengthsAroundTheOldest()
    {
        // Arrange: the oldest is 100 tokens; similar lengths are scattered among short and very long ones.
        int[] lengths = [100, 5, 98, 2000, 6, 102, 4, 99, 1500, 101];

        // Act
        var chosen = Plan(lengths, budget: 600, maxPadding: 0.15);

        // Assert: exactly the five sequences of ~100 tokens, shortest first.
        Assert.Equal([2, 7, 0, 9, 5], chosen);
    }

    [Fact]
    public void Plan_PaddingLimit_KeepsOutSequencesThatWouldPadTooMuch()
    {
        // Arrange
        int[] lengths = [10, 100];

        // Act
        var limited = Plan(lengths, budget: 1000, maxPadding: 0.15);
        var unlimited = Plan(lengths, budget: 1000, maxPadding: 1);

        // Assert
        Assert.Equal([0], limited);
        Assert.Equal([0, 1], unlimited);
    }

    [Fact]
    public void Plan_ManyShortAndOneLongOldest_ServesTheOldestFirst()
    {
        // Arrange: a long sequence queued before 500 short ones is not starved by them.
        var lengths = new[] { 400 }.Concat(Enumerable.Repeat(3, 500)).ToArray();

        // Act
        var chosen = Plan(lengths, budget: 512, maxPadding: 0.15);

        // Assert
        Assert.Equal([0], chosen);
    }
}
