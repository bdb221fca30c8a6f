using NvEmbed.Api.Embedding;

namespace NvEmbed.Tests.Api;

public sealed class WorkerCallPlannerTests
{
    [Theory]
    [InlineData(new[] { 5, 5, 5, 5 }, 10)]
    [InlineData(new[] { 3, 20, 2, 2, 9 }, 10)]
    [InlineData(new[] { 1 }, 1)]
    [InlineData(new[] { 11, 11 }, 10)]
    [InlineData(new[] { 4, 4, 4 }, 100)]
    public void Plan_Lengths_CoverEverySequenceOnceInOrderWithinBudget(int[] lengths, int budget)
    {
        // Arrange
        var cu = new int[lengths.Length + 1];
        for (var i = 0; i < lengths.Length; i++)
        {
            cu[i + 1] = cu[i] + lengths[i];
        }

        // Act
        var calls = WorkerCallPlanner.Plan(cu, budget);

        // Assert
        var next = 0;
        foreach (var call in calls)
        {
            Assert.Equal(next, call.Start.Value);
            Assert.True(call.End.Value > call.Start.Value);
            var tokens = cu[call.End.Value] - cu[call.Start.Value];
            Assert.True(tokens <= budget || call.End.Value - call.Start.Value == 1, $"call {call} has {tokens} tokens");
            next = call.End.Value;
        }

        Assert.Equal(lengths.Length, next);
        var minimal = lengths.Sum() <= budget;
        Assert.Equal(minimal, calls.Count == 1 && lengths.Length > 0 && minimal);
    }
}
