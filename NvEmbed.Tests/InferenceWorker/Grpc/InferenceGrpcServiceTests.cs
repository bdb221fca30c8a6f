using Grpc.Core;
using Grpc.Health.V1;
using NvEmbed.InferenceWorker.Batching;
using NvEmbed.InferenceWorker.Grpc;
using NvEmbed.Tests.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Grpc;

public class InferenceGrpcServiceTests
{
    private static readonly TimeSpan s_timeout = InferenceWorkerTestServer.Timeout;

    [Fact]
    public async Task Health_WhileModelLoads_NotServingThenServingOnlyAfterWarmUp()
    {
        // Arrange: loading is held.
        var backend = new TestBackend(hiddenSize: 8, maxTokens: 256);
        using var gate = new ManualResetEventSlim(false);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend) { Gate = gate },
            new Dictionary<string, string?> { ["InferenceWorker:Batching:MaxBatchTokens"] = "1024" });

        // Act
        var whileLoading = await server.HealthAsync();
        var serviceWhileLoading = await server.HealthAsync(InferenceGrpcService.ServiceName);
        var embedWhileLoading = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([[1, 2]]));
        gate.Set();
        await server.WaitServingAsync();

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, whileLoading);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, serviceWhileLoading);
        Assert.Equal(StatusCode.Unavailable, embedWhileLoading.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await server.HealthAsync(InferenceGrpcService.ServiceName));
        Assert.Equal((4, 256, 1024), backend.Batches.First());
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task Embed_SeveralSequences_PackedLittleEndianVectorsOfEachSequence()
    {
        // Arrange
        var backend = new TestBackend(hiddenSize: 8);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend));
        await server.WaitServingAsync();
        int[][] sequences = [[128000, 3, 17, 900], [128000, 5], [42, 43, 44, 45, 46, 47, 48]];

        // Act
        var full = await server.EmbedAsync(sequences);
        var sliced = await server.EmbedAsync(sequences, dimensions: 4);
        var raw = await server.EmbedAsync(sequences, skipNormalize: true);

        // Assert: against the backend's function computed apart, sliced then renormalised.
        Assert.Equal(8u, full.Dimensions);
        Assert.Equal(4u, sliced.Dimensions);
        Assert.Equal((uint)sequences.Sum(s => s.Length), full.ComputeTokens);
        Assert.True(full.QueueMs >= 0 && full.InferenceMs > 0);
        for (var i = 0; i < sequences.Length; i++)
        {
            var pooled = backend.ExpectedPooled(sequences[i]);
            SchedulerHarness.AssertClose(Normalize(pooled), InferenceWorkerTestServer.Decode(full.Embeddings[i]));
            SchedulerHarness.AssertClose(Normalize(pooled[..4]), InferenceWorkerTestServer.Decode(sliced.Embeddings[i]));
            SchedulerHarness.AssertClose(pooled, InferenceWorkerTestServer.Decode(raw.Embeddings[i]));
        }

        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task ModelInfo_Serving_ReportsModelAndLimits()
    {
        // Arrange
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(new TestBackend(hiddenSize: 8, maxTokens: 300)),
            new Dictionary<string, string?> { ["InferenceWorker:Batching:MaxBatchTokens"] = "2000" });
        await server.WaitServingAsync();

        // Act
        var info = await server.ModelInfoAsync();

        // Assert
        Assert.Equal("fingerprint-of-test-model", info.ModelFingerprint);
        Assert.Equal("test/model", info.ServedModelName);
        Assert.Equal(300u, info.MaxTokens);
        Assert.Equal([4u, 8u], info.Dimensions);
        Assert.Equal("fp32", info.Precision);
        Assert.Equal("test", info.ExecutionProvider);
        Assert.Equal(2000u, info.MaxBatchTokens);
    }

    [Fact]
    public async Task ModelInfo_AfterOutOfMemory_ReportsTheLoweredBudget()
    {
        // Arrange: once serving, any batch over 50 padded tokens "runs out of device memory".
        var backend = new TestBackend(hiddenSize: 8);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend),
            new Dictionary<string, string?> { ["InferenceWorker:Batching:MaxBatchTokens"] = "400" });
        await server.WaitServingAsync();
        backend.FailWhen = b => b.Rows * b.SequenceLength > 50 ? new InvalidOperationException("CUDA failure 2: out of memory") : null;
        var random = new Random(3);
        var sequences = Enumerable.Range(0, 4).Select(_ => SchedulerHarness.RandomSequence(random, 40)).ToArray();

        // Act: 160 tokens → 2 × 80 → 4 × 40, and the budget drops to 40 (half of 80).
        var reply = await server.EmbedAsync(sequences);
        var info = await server.ModelInfoAsync();

        // Assert: the Api sizes its worker calls from this figure, so it must be the budget in force.
        Assert.Equal(4, reply.Embeddings.Count);
        Assert.Equal(40u, info.MaxBatchTokens);
    }

    [Theory]
    [InlineData(3u)]
    [InlineData(9u)]
    public async Task Embed_DimensionsNotServed_InvalidArgument(uint dimensions)
    {
        // Arrange
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(new TestBackend(hiddenSize: 8)));
        await server.WaitServingAsync();

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([[1, 2]], dimensions));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("4, 8", error.Message);
    }

    [Fact]
    public async Task Embed_QueueFull_ResourceExhaustedAtOnce()
    {
        // Arrange: the session is held on a first call, and the queue holds 64 tokens.
        var backend = new TestBackend(hiddenSize: 8);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend), new Dictionary<string, string?>
        {
            ["InferenceWorker:Batching:MaxBatchTokens"] = "64",
            ["InferenceWorker:Batching:MaxQueueTokens"] = "64",
        });
        await server.WaitServingAsync();
        var gate = backend.HoldRuns();
        var running = server.EmbedAsync([[1, 2, 3]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var queued = server.EmbedAsync([Enumerable.Range(1, 60).ToArray()]);
        var waitUntil = DateTime.UtcNow + s_timeout;
        while (server.Runtime.Scheduler!.QueuedTokens < 60)
        {
            Assert.True(DateTime.UtcNow < waitUntil, "the 60-token call was not queued in time");
            await Task.Delay(5);
        }

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([Enumerable.Range(1, 10).ToArray()]).WaitAsync(s_timeout));
        gate.Set();

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await Task.WhenAll(running, queued).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task Embed_BackendFailsTwice_InternalAndWorkerStaysServing()
    {
        // Arrange
        var backend = new TestBackend(hiddenSize: 8);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend));
        await server.WaitServingAsync();
        backend.FailWhen = b => b.InputIds.Span.Contains(666L) ? new InvalidOperationException("kernel launch failed") : null;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([[666, 1]]));
        var next = await server.EmbedAsync([[1, 2]]);

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("kernel launch failed", error.Message);
        Assert.Single(next.Embeddings);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await server.HealthAsync());
    }

    [Fact]
    public async Task Embed_DeadlinePassesWhileQueued_DeadlineExceededAndNotRun()
    {
        // Arrange
        var backend = new TestBackend(hiddenSize: 8);
        await using var server = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend));
        await server.WaitServingAsync();
        var gate = backend.HoldRuns();
        var running = server.EmbedAsync([[1, 2, 3]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([Enumerable.Range(1, 41).ToArray()], deadline: DateTime.UtcNow.AddMilliseconds(200)));
        gate.Set();
        await running.WaitAsync(s_timeout);
        await server.EmbedAsync([[9]]);

        // Assert
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.DoesNotContain(backend.Batches, b => b.SequenceLength == 41);
    }

    [Fact]
    public async Task Health_ModelFailsToLoad_StaysNotServingAndEmbedUnavailable()
    {
        // Arrange
        var loader = new TestModelLoader(new TestBackend()) { Failure = new InvalidDataException("config.json: no hidden_size") };
        await using var server = await InferenceWorkerTestServer.StartAsync(loader);
        await Assert.ThrowsAnyAsync<Exception>(() => server.Runtime.Ready.WaitAsync(s_timeout));

        // Act
        var status = await server.HealthAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => server.EmbedAsync([[1]]));

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, status);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("no hidden_size", error.Message);
    }

    [Theory]
    [InlineData(EmbedErrorKind.Validation, StatusCode.InvalidArgument)]
    [InlineData(EmbedErrorKind.Overloaded, StatusCode.ResourceExhausted)]
    [InlineData(EmbedErrorKind.DeadlineExceeded, StatusCode.DeadlineExceeded)]
    [InlineData(EmbedErrorKind.OutOfMemory, StatusCode.Unavailable)]
    [InlineData(EmbedErrorKind.Backend, StatusCode.Internal)]
    [InlineData(EmbedErrorKind.Unavailable, StatusCode.Unavailable)]
    public void ToStatus_EachErrorKind_MapsToItsGrpcStatus(EmbedErrorKind kind, StatusCode expected)
    {
        // Act
        var status = InferenceGrpcService.ToStatus(kind);

        // Assert
        Assert.Equal(expected, status);
    }

    [Fact]
    public void ToStatus_EveryErrorKind_HasAStatus()
    {
        // Act + Assert: a kind added without a row above fails here rather than at run time.
        Assert.All(Enum.GetValues<EmbedErrorKind>(), kind => Assert.NotEqual(StatusCode.OK, InferenceGrpcService.ToStatus(kind)));
    }

    private static float[] Normalize(float[] vector)
    {
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        return vector.Select(v => v / norm).ToArray();
    }
}
