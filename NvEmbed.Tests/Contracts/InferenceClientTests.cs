using System.Diagnostics;
using System.Runtime.InteropServices;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary><see cref="InferenceClient"/> against worker replicas on real Kestrel (<see cref="FakeInferenceWorker"/>).</summary>
public class InferenceClientTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EmbedAsync_FlatBatch_OneVectorPerSequenceInOrder()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 7);
        await using var server = await GrpcTestServer.StartAsync(map: worker.Map);
        using var client = new InferenceClient(server.Address);
        int[] ids = [5, 6, 7, 100, 1, 2];
        int[] cu = [0, 3, 4, 6];

        // Act
        var batch = await client.EmbedAsync(ids, cu, dimensions: 0, normalize: true, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(FakeInferenceWorker.Dimensions, batch.Dimensions);
        Assert.Equal(3, batch.Vectors.Count);
        for (var i = 0; i < 3; i++)
        {
            var vector = MemoryMarshal.Cast<byte, float>(batch.Vectors[i].Span).ToArray();
            var sequence = ids[cu[i]..cu[i + 1]];
            Assert.Equal([sequence.Sum(), sequence.Length, 7f], vector);
        }

        Assert.Equal(TimeSpan.FromMilliseconds(1.5), batch.QueueTime);
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), batch.InferenceTime);
        Assert.Equal(ids.Length, batch.ComputeTokens);
    }

    [Fact]
    public async Task GetInfoAsync_Worker_MapsEveryField()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(map: worker.Map);
        using var client = new InferenceClient(server.Address);

        // Act
        var info = await client.GetInfoAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(new InferenceInfo("model-fp", "fake/model", 8192, info.Dimensions, "fp32", "cpu", 16384, "replica 0"), info);
        Assert.Equal([1, 2, 3], info.Dimensions);
    }

    [Fact]
    public async Task EmbedAsync_TwoReplicasWithCallsHeld_CallsSplitByCallsInFlight()
    {
        // Arrange
        var a = new FakeInferenceWorker(replica: 0);
        var b = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(map: a.Map);
        await using var serverB = await GrpcTestServer.StartAsync(map: b.Map);
        using var client = new InferenceClient([serverA.Address, serverB.Address]);
        a.Hold();
        b.Hold();

        // Act: all calls are in flight together, so each goes to the replica with fewer.
        var calls = Enumerable.Range(0, 10).Select(i => client.EmbedAsync(new[] { i }, new[] { 0, 1 }, 0, true, CancellationToken.None)).ToArray();
        await WaitUntilAsync(() => a.Calls + b.Calls == 10);
        var (heldOnA, heldOnB) = (a.Calls, b.Calls);
        a.Release();
        b.Release();
        var batches = await Task.WhenAll(calls).WaitAsync(s_timeout);

        // Assert
        Assert.Equal((5, 5), (heldOnA, heldOnB));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(i, MemoryMarshal.Cast<byte, float>(batches[i].Vectors[0].Span)[0]);
        }
    }

    [Fact]
    public async Task EmbedAsync_OneReplicaRefusesConnections_EveryCallServedByTheOther()
    {
        // Arrange
        var live = new FakeInferenceWorker(replica: 1);
        await using var server = await GrpcTestServer.StartAsync(map: live.Map);
        var dead = new Uri($"http://127.0.0.1:{TokenizerClientTests.FreePort()}");
        using var client = new InferenceClient([dead, server.Address], new ServiceClientOptions { UnavailableBackoff = TimeSpan.FromMinutes(1) });

        // Act
        var replicas = new List<float>();
        for (var i = 0; i < 6; i++)
        {
            var batch = await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout);
            replicas.Add(MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[2]);
        }

        // Assert
        Assert.All(replicas, replica => Assert.Equal(1f, replica));
        Assert.Equal(6, live.Calls);
    }

    [Fact]
    public async Task EmbedAsync_ReplicaAnswersUnavailable_RetriedElsewhereAndSkippedDuringBackoff()
    {
        // Arrange
        var draining = new FakeInferenceWorker(replica: 0) { AnswerUnavailable = true };
        var healthy = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(map: draining.Map);
        await using var serverB = await GrpcTestServer.StartAsync(map: healthy.Map);
        using var client = new InferenceClient([serverA.Address, serverB.Address],
            new ServiceClientOptions { UnavailableBackoff = TimeSpan.FromMinutes(1) });

        // Act
        for (var i = 0; i < 10; i++)
        {
            await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout);
        }

        // Assert: the draining replica was asked at most once, then skipped for its back-off.
        Assert.InRange(draining.Calls, 0, 1);
        Assert.Equal(10, healthy.Calls);
    }

    [Fact]
    public async Task EmbedAsync_BackoffOver_ReplicaUsedAgain()
    {
        // Arrange
        var flaky = new FakeInferenceWorker(replica: 0) { AnswerUnavailable = true };
        await using var server = await GrpcTestServer.StartAsync(map: flaky.Map);
        using var client = new InferenceClient([server.Address], new ServiceClientOptions { UnavailableBackoff = TimeSpan.FromMilliseconds(100) });

        // Act
        var first = await Assert.ThrowsAsync<GrpcCallException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout));
        flaky.AnswerUnavailable = false;
        await Task.Delay(150);
        var batch = await client.EmbedAsync(new[] { 4 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(GrpcStatusCode.Unavailable, first.Status);
        Assert.Equal(4f, MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[0]);
    }

    [Theory]
    [InlineData(GrpcStatusCode.ResourceExhausted)]
    [InlineData(GrpcStatusCode.FailedPrecondition)]
    public async Task EmbedAsync_ReplicaRefusesCall_ServedByTheOtherAndNotBackedOff(GrpcStatusCode refusal)
    {
        // Arrange
        var overloaded = new FakeInferenceWorker(replica: 0) { FailWith = refusal };
        var healthy = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(map: overloaded.Map);
        await using var serverB = await GrpcTestServer.StartAsync(map: healthy.Map);
        using var client = new InferenceClient([serverA.Address, serverB.Address],
            new ServiceClientOptions { UnavailableBackoff = TimeSpan.FromMinutes(1) });

        // Act
        var replicas = new List<float>();
        for (var i = 0; i < 6; i++)
        {
            var batch = await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout);
            replicas.Add(MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[2]);
        }

        // Assert: every call answered by the healthy replica; the refusing one was asked again (a full
        // queue drains in milliseconds, so it is not skipped for the UNAVAILABLE back-off).
        Assert.All(replicas, replica => Assert.Equal(1f, replica));
        Assert.Equal(6, healthy.Calls);
        Assert.InRange(overloaded.Calls, 2, 6);
    }

    [Fact]
    public async Task EmbedAsync_AllReplicasOverloaded_ResourceExhaustedAfterEachTriedOnce()
    {
        // Arrange
        var a = new FakeInferenceWorker(replica: 0) { FailWith = GrpcStatusCode.ResourceExhausted };
        var b = new FakeInferenceWorker(replica: 1) { FailWith = GrpcStatusCode.ResourceExhausted };
        await using var serverA = await GrpcTestServer.StartAsync(map: a.Map);
        await using var serverB = await GrpcTestServer.StartAsync(map: b.Map);
        using var client = new InferenceClient([serverA.Address, serverB.Address]);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.ResourceExhausted, error.Status);
        Assert.Equal((1, 1), (a.Calls, b.Calls));
    }

    [Fact]
    public async Task EmbedAsync_IdleReplicasSequentialCalls_TakeTurns()
    {
        // Arrange
        var a = new FakeInferenceWorker(replica: 0);
        var b = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(map: a.Map);
        await using var serverB = await GrpcTestServer.StartAsync(map: b.Map);
        using var client = new InferenceClient([serverA.Address, serverB.Address]);

        // Act
        for (var i = 0; i < 6; i++)
        {
            await client.EmbedAsync(new[] { 300 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout);
        }

        // Assert
        Assert.Equal((3, 3), (a.Calls, b.Calls));
    }

    [Fact]
    public async Task EmbedAsync_AllReplicasRefuseConnections_Unavailable()
    {
        // Arrange
        using var client = new InferenceClient([
            new Uri($"http://127.0.0.1:{TokenizerClientTests.FreePort()}"),
            new Uri($"http://127.0.0.1:{TokenizerClientTests.FreePort()}")]);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout));
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(GrpcStatusCode.Unavailable, error.Status);
        Assert.False(serving);
    }

    [Fact]
    public async Task EmbedAsync_WorkerSlowerThanCallTimeout_DeadlineExceeded()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(map: worker.Map);
        using var client = new InferenceClient(server.Address, new ServiceClientOptions { CallTimeout = TimeSpan.FromMilliseconds(300) });
        worker.Hold();
        var watch = Stopwatch.StartNew();

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, error.Status);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        worker.Release();
    }

    [Fact]
    public async Task IsServingAsync_OneOfTwoReplicasServing_True()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var serving = await GrpcTestServer.StartAsync(map: worker.Map);
        await using var warming = await GrpcTestServer.StartAsync(map: worker.Map);
        warming.Health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        using var client = new InferenceClient([warming.Address, serving.Address]);

        // Act
        var oneServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        serving.Health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        var noneServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.True(oneServing);
        Assert.False(noneServing);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > s_timeout)
            {
                throw new TimeoutException("Condition not met in time.");
            }

            await Task.Delay(10);
        }
    }
}
