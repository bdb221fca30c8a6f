using System.Diagnostics;
using System.Runtime.InteropServices;
using Grpc.Core;
using NvEmbed.Contracts.Clients;
using NvEmbed.Tests.Infrastructure;

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
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address]);
        var client = clients.Client;
        int[] ids = [5, 6, 7, 100, 1, 2];
        int[] cu = [0, 3, 4, 6];

        // Act
        var batch = await client.EmbedAsync(ids, cu, dimensions: 0, normalize: true, null, CancellationToken.None).WaitAsync(s_timeout);

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
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address]);
        var client = clients.Client;

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
        await using var serverA = await GrpcTestServer.StartAsync(a);
        await using var serverB = await GrpcTestServer.StartAsync(b);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address]);
        var client = clients.Client;
        a.Hold();
        b.Hold();

        // Act: all calls are in flight together, so each goes to the replica with fewer.
        var calls = Enumerable.Range(0, 10).Select(i => client.EmbedAsync(new[] { i }, new[] { 0, 1 }, 0, true, null, CancellationToken.None)).ToArray();
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
        await using var server = await GrpcTestServer.StartAsync(live);
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        using var clients = TestClients.Inference([dead, server.Address], o => { o.UnavailableBackoff = TimeSpan.FromMinutes(1); });
        var client = clients.Client;

        // Act
        var replicas = new List<float>();
        for (var i = 0; i < 6; i++)
        {
            var batch = await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);
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
        await using var serverA = await GrpcTestServer.StartAsync(draining);
        await using var serverB = await GrpcTestServer.StartAsync(healthy);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address], o => { o.UnavailableBackoff = TimeSpan.FromMinutes(1); });
        var client = clients.Client;

        // Act
        for (var i = 0; i < 10; i++)
        {
            await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);
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
        await using var server = await GrpcTestServer.StartAsync(flaky);
        using var clients = TestClients.Inference([server.Address], o => { o.UnavailableBackoff = TimeSpan.FromMilliseconds(100); });
        var client = clients.Client;

        // Act
        var first = await Assert.ThrowsAsync<RpcException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout));
        flaky.AnswerUnavailable = false;
        await Task.Delay(150);
        var batch = await client.EmbedAsync(new[] { 4 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(StatusCode.Unavailable, first.StatusCode);
        Assert.Equal(4f, MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[0]);
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.FailedPrecondition)]
    public async Task EmbedAsync_ReplicaRefusesCall_ServedByTheOtherAndNotBackedOff(StatusCode refusal)
    {
        // Arrange
        var overloaded = new FakeInferenceWorker(replica: 0) { FailWith = refusal };
        var healthy = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(overloaded);
        await using var serverB = await GrpcTestServer.StartAsync(healthy);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address], o => { o.UnavailableBackoff = TimeSpan.FromMinutes(1); });
        var client = clients.Client;

        // Act
        var replicas = new List<float>();
        for (var i = 0; i < 6; i++)
        {
            var batch = await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);
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
        var a = new FakeInferenceWorker(replica: 0) { FailWith = StatusCode.ResourceExhausted };
        var b = new FakeInferenceWorker(replica: 1) { FailWith = StatusCode.ResourceExhausted };
        await using var serverA = await GrpcTestServer.StartAsync(a);
        await using var serverB = await GrpcTestServer.StartAsync(b);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address]);
        var client = clients.Client;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal((1, 1), (a.Calls, b.Calls));
    }

    [Fact]
    public async Task EmbedAsync_IdleReplicasSequentialCalls_TakeTurns()
    {
        // Arrange
        var a = new FakeInferenceWorker(replica: 0);
        var b = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(a);
        await using var serverB = await GrpcTestServer.StartAsync(b);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address]);
        var client = clients.Client;

        // Act
        for (var i = 0; i < 6; i++)
        {
            await client.EmbedAsync(new[] { 300 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);
        }

        // Assert
        Assert.Equal((3, 3), (a.Calls, b.Calls));
    }

    [Fact]
    public async Task EmbedAsync_AllReplicasRefuseConnections_Unavailable()
    {
        // Arrange
        using var clients = TestClients.Inference([
            new Uri($"http://127.0.0.1:{FreePort.Next()}"),
            new Uri($"http://127.0.0.1:{FreePort.Next()}")]);
        var client = clients.Client;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout));
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.False(serving);
    }

    [Fact]
    public async Task EmbedAsync_WorkerSlowerThanCallTimeout_DeadlineExceeded()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address], o => { o.CallTimeout = TimeSpan.FromMilliseconds(300); });
        var client = clients.Client;
        worker.Hold();
        var watch = Stopwatch.StartNew();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        worker.Release();
    }

    [Fact]
    public async Task IsServingAsync_OneOfTwoReplicasServing_True()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var serving = await GrpcTestServer.StartAsync(worker);
        await using var warming = await GrpcTestServer.StartAsync(worker);
        warming.Readiness.Serving = false;
        using var clients = TestClients.Inference([warming.Address, serving.Address]);
        var client = clients.Client;

        // Act
        var oneServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        serving.Readiness.Serving = false;
        var noneServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.True(oneServing);
        Assert.False(noneServing);
    }

    [Fact]
    public async Task EmbedAsync_ReplicaFrozen_AttemptDeadlineMovesTheCallToTheOtherAndDropsItsWork()
    {
        // Arrange: replica 0 holds every call (a frozen worker); the attempt deadline is 300 ms.
        var frozen = new FakeInferenceWorker(replica: 0);
        var healthy = new FakeInferenceWorker(replica: 1);
        await using var serverA = await GrpcTestServer.StartAsync(frozen);
        await using var serverB = await GrpcTestServer.StartAsync(healthy);
        using var clients = TestClients.Inference([serverA.Address, serverB.Address], o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(500);
            o.AttemptTimePerToken = TimeSpan.Zero;
            o.UnavailableBackoff = TimeSpan.FromMinutes(1);
        });
        var client = clients.Client;

        // NOTE: a grpc-dotnet server binds a method on its first call (hundreds of ms on a busy machine); warm both
        // replicas so that only the freeze can make an attempt outlive its deadline.
        while (frozen.Calls == 0 || healthy.Calls == 0)
        {
            await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, DateTime.UtcNow.AddSeconds(30), CancellationToken.None).WaitAsync(s_timeout);
        }

        var warmUpCalls = frozen.Calls;
        frozen.Hold();
        var watch = Stopwatch.StartNew();

        // Act
        var replicas = new List<float>();
        for (var i = 0; i < 4; i++)
        {
            var batch = await client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, DateTime.UtcNow.AddSeconds(30), CancellationToken.None).WaitAsync(s_timeout);
            replicas.Add(MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[2]);
        }

        await WaitUntilAsync(() => frozen.Cancelled == frozen.Calls - warmUpCalls);

        // Assert: every call answered by the healthy replica well before the 30 s deadline; the frozen replica got at
        // most one attempt (then it was passed over), and that attempt was cancelled on it, so its work is dropped.
        Assert.All(replicas, replica => Assert.Equal(1f, replica));
        Assert.Equal(1, frozen.Calls - warmUpCalls);
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        frozen.Release();
    }

    [Fact]
    public async Task EmbedAsync_OnlyReplicaSlow_GetsTheWholeDeadline()
    {
        // Arrange: one replica, slower than the attempt deadline: with nowhere else to go, the attempt is not cut short.
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address], o => { o.AttemptTimeout = TimeSpan.FromMilliseconds(100); o.AttemptTimePerToken = TimeSpan.Zero; });
        var client = clients.Client;
        worker.Hold();

        // Act
        var call = client.EmbedAsync(new[] { 7 }, new[] { 0, 1 }, 0, true, DateTime.UtcNow.AddSeconds(20), CancellationToken.None);
        await Task.Delay(400);
        worker.Release();
        var batch = await call.WaitAsync(s_timeout);

        // Assert
        Assert.Equal(7f, MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span)[0]);
        Assert.Equal(1, worker.Calls);
    }

    [Fact]
    public async Task EmbedAsync_CallerDeadline_ReachesTheWorker()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address]);
        var deadline = DateTime.UtcNow.AddSeconds(42);

        // Act
        await clients.Client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, deadline, CancellationToken.None).WaitAsync(s_timeout);

        // Assert: grpc-timeout carries the deadline to the server (to the millisecond or so).
        Assert.InRange(worker.LastDeadline, deadline.AddSeconds(-1), deadline.AddSeconds(1));
    }

    [Fact]
    public async Task EmbedAsync_CallerCancels_WorkerSeesTheCancellation()
    {
        // Arrange
        var worker = new FakeInferenceWorker(replica: 0);
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([server.Address]);
        worker.Hold();
        using var cts = new CancellationTokenSource();

        // Act
        var call = clients.Client.EmbedAsync(new[] { 1 }, new[] { 0, 1 }, 0, true, null, cts.Token);
        await WaitUntilAsync(() => worker.Calls == 1);
        await cts.CancelAsync();
        var error = await Record.ExceptionAsync(() => call.WaitAsync(s_timeout));
        await WaitUntilAsync(() => worker.Cancelled == 1);

        // Assert
        Assert.Equal(StatusCode.Cancelled, Assert.IsType<RpcException>(error).StatusCode);
        worker.Release();
    }

    [Fact]
    public async Task EmbedAsync_DnsAddress_BalancedByGrpcDotnetAndServed()
    {
        // Arrange: dns:///localhost:port, the form of a Kubernetes headless Service, resolved by grpc-dotnet.
        var worker = new FakeInferenceWorker(replica: 3);
        await using var server = await GrpcTestServer.StartAsync(worker);
        using var clients = TestClients.Inference([new Uri($"dns:///localhost:{server.Address.Port}")]);

        // Act
        var batch = await clients.Client.EmbedAsync(new[] { 2 }, new[] { 0, 1 }, 0, true, null, CancellationToken.None).WaitAsync(s_timeout);
        var serving = await clients.Client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal([2f, 1f, 3f], MemoryMarshal.Cast<byte, float>(batch.Vectors[0].Span).ToArray());
        Assert.True(serving);
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
