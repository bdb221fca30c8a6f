using NvEmbed.Api.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

public sealed class InferenceClientPoolTests
{
    [Fact]
    public async Task EmbedAsync_OneWorkerUnavailable_FailsOverToTheOther()
    {
        // Arrange
        var down = new FakeWorker { FailWith = GrpcStatusCode.Unavailable };
        var up = new FakeWorker();
        var pool = new InferenceClientPool([down, up]);
        var ids = FakeModel.Tokenize("x");

        // Act
        var results = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var batch = await pool.EmbedAsync(ids, new[] { 0, ids.Length }, 0, true, CancellationToken.None).WaitAsync(ApiTestHost.Timeout);
            results.Add(batch.Vectors.Count);
        }

        // Assert
        Assert.All(results, count => Assert.Equal(1, count));
        Assert.Equal(4, up.Calls.Count);
        Assert.True(await pool.IsServingAsync(CancellationToken.None).WaitAsync(ApiTestHost.Timeout));
    }

    [Fact]
    public async Task EmbedAsync_AllWorkersOverloaded_ThrowsResourceExhausted()
    {
        // Arrange
        var pool = new InferenceClientPool([new FakeWorker { FailWith = GrpcStatusCode.ResourceExhausted }, new FakeWorker { FailWith = GrpcStatusCode.ResourceExhausted }]);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() =>
            pool.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(ApiTestHost.Timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
    }

    [Fact]
    public async Task EmbedAsync_HealthyWorkers_AreUsedRoundRobin()
    {
        // Arrange
        var a = new FakeWorker();
        var b = new FakeWorker();
        var pool = new InferenceClientPool([a, b]);

        // Act
        for (var i = 0; i < 6; i++)
        {
            await pool.EmbedAsync(new[] { 300 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(ApiTestHost.Timeout);
        }

        // Assert
        Assert.Equal(3, a.Calls.Count);
        Assert.Equal(3, b.Calls.Count);
    }
}
