using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api.KServe;

/// <summary>
/// The KServe surface as nv-ingest and tritonclient use it: both model names, the full-queue answer nv-ingest retries,
/// the statistics and repository extensions, and the methods NvEmbed does not serve.
/// </summary>
public sealed class KServeNvIngestTests
{
    private const string OldName = "nvidia_llama_3_2_nv_embedqa_1b_v2";
    private const string NewName = "nvidia_llama_nemotron_embed_1b_v2";

    private static DateTime Deadline => DateTime.UtcNow.Add(ApiTestHost.Timeout);

    private static (GrpcChannel Channel, GRPCInferenceService.GRPCInferenceServiceClient Client) Connect(ApiTestHost host)
    {
        var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        return (channel, new GRPCInferenceService.GRPCInferenceServiceClient(channel));
    }

    [Theory]
    [InlineData(OldName)]
    [InlineData(NewName)]
    public async Task ModelInfer_NvIngestStyleClientEitherName_VectorsInBatchesOfMaxBatchSize(string model)
    {
        // Arrange: max_batch_size 2, so five texts go in three batches.
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "2" }, kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;
        var nvIngest = new NvIngestStyleClient(client, model);
        string[] texts = ["first page", "second", "tables and charts ✓", "résumé", "last"];

        // Act
        var vectors = await nvIngest.EmbedAsync(texts, "passage", "END", ApiTestHost.Timeout);

        // Assert
        Assert.Equal(2, nvIngest.MaxBatchSize);
        Assert.Equal(3, host.Worker.Calls.Count);
        Assert.Equal(texts.Length, vectors.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("passage: " + texts[i]), 0), vectors[i]);
        }
    }

    [Theory]
    [InlineData(OldName)]
    [InlineData(NewName)]
    [InlineData("nvidia/llama-nemotron-embed-1b-v2")]
    [InlineData("NVIDIA_Llama_Nemotron_Embed_1B_V2")]
    public async Task ModelReadyAndMetadata_EitherNameInEitherFormAndCase_ReadyUnderItsGrpcName(string requested)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;

        // Act
        var ready = await client.ModelReadyAsync(new ModelReadyRequest { Name = requested }, deadline: Deadline);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = requested }, deadline: Deadline);

        // Assert
        Assert.True(ready.Ready);
        Assert.Contains(metadata.Name, new[] { OldName, NewName });
        Assert.Equal(requested.Contains("nemotron", StringComparison.OrdinalIgnoreCase) ? NewName : OldName, metadata.Name);
    }

    [Fact]
    public async Task ModelInfer_ServedModelNameSet_OnlyThatNameServed()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVED_MODEL_NAME"] = "Acme/Embed-Small" }, kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;

        // Act
        var own = await client.ModelReadyAsync(new ModelReadyRequest { Name = "Acme_Embed_Small" }, deadline: Deadline);
        var index = await client.RepositoryIndexAsync(new RepositoryIndexRequest(), deadline: Deadline);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(
            new NvIngestStyleClient(client, NewName).Request(["x"], "query", "NONE"), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.True(own.Ready);
        Assert.Equal(["Acme_Embed_Small"], index.Models.Select(m => m.Name));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task ModelInfer_ApiQueueFull_UnavailableExceedsMaximumQueueSizeAndNvIngestRetriesIt()
    {
        // Arrange: one request admitted at a time; an HTTP request holds the slot at the worker.
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_MAX_QUEUE_SIZE"] = "1" }, kestrel: true);
        using var http = host.Client();
        var (channel, client) = Connect(host);
        using var _ = channel;
        host.Worker.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = ApiCall.PostAsync(http, "/v1/embeddings", """{"input":"hold","input_type":"query"}""");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (host.Worker.Calls.IsEmpty && watch.Elapsed < ApiTestHost.Timeout)
        {
            await Task.Delay(10);
        }

        var nvIngest = new NvIngestStyleClient(client, NewName);

        // Act
        var full = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(nvIngest.Request(["x"], "query", "END"), deadline: Deadline).ResponseAsync);
        var retried = nvIngest.EmbedAsync(["y"], "query", "END", ApiTestHost.Timeout);
        await Task.Delay(300);
        host.Worker.Gate.TrySetResult();
        var vectors = await retried.WaitAsync(ApiTestHost.Timeout);
        var held = await holding.WaitAsync(ApiTestHost.Timeout);

        // Assert
        Assert.Equal(StatusCode.Unavailable, full.StatusCode);
        Assert.Contains("Exceeds maximum queue size", full.Status.Detail, StringComparison.Ordinal);
        Assert.True(nvIngest.QueueFullRetries >= 1);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("query: y"), 0), Assert.Single(vectors));
        Assert.Equal(HttpStatusCode.OK, held.Status);
    }

    [Fact]
    public async Task ModelInfer_WorkerQueueFull_UnavailableExceedsMaximumQueueSize()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;
        host.Worker.FailWith = StatusCode.ResourceExhausted;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelInferAsync(new NvIngestStyleClient(client, NewName).Request(["x"], "query", "END"), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("Exceeds maximum queue size", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelInfer_CallerDeadline_ReachesTheWorker()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;
        var deadline = DateTime.UtcNow.AddSeconds(9);

        // Act
        await client.ModelInferAsync(new NvIngestStyleClient(client, NewName).Request(["x"], "query", "END"), deadline: deadline);

        // Assert: the Api passes the caller's deadline on (grpc-timeout in, the backend call's deadline out).
        Assert.True(host.Worker.Deadlines.TryPeek(out var seen));
        Assert.InRange(seen!.Value, deadline.AddSeconds(-1), deadline.AddSeconds(1));
    }

    [Fact]
    public async Task ServerMetadataStatisticsAndIndex_AfterCalls_DescribeTheServerAndCountTheWork()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true) { FailOnErrorLogs = false };
        var (channel, client) = Connect(host);
        using var _ = channel;
        var nvIngest = new NvIngestStyleClient(client, NewName);
        await client.ModelInferAsync(nvIngest.Request(["a", "b", "c"], "query", "END"), deadline: Deadline);
        await client.ModelInferAsync(nvIngest.Request(["d", "e", "f"], "passage", "END"), deadline: Deadline);
        await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(nvIngest.Request(["g"], "sideways", "END"), deadline: Deadline).ResponseAsync);

        // Act
        var metadata = await client.ServerMetadataAsync(new ServerMetadataRequest(), deadline: Deadline);
        var statistics = await client.ModelStatisticsAsync(new ModelStatisticsRequest { Name = NewName }, deadline: Deadline);
        var all = await client.ModelStatisticsAsync(new ModelStatisticsRequest(), deadline: Deadline);
        var index = await client.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true }, deadline: Deadline);

        // Assert
        Assert.Equal("nvembed", metadata.Name);
        Assert.False(string.IsNullOrEmpty(metadata.Version));
        Assert.Contains("statistics", metadata.Extensions);
        var stats = Assert.Single(statistics.ModelStats);
        Assert.Equal(NewName, stats.Name);
        Assert.Equal(6ul, stats.InferenceCount);
        Assert.Equal(2ul, stats.ExecutionCount);
        Assert.Equal(2ul, stats.InferenceStats.Success.Count);
        Assert.Equal(1ul, stats.InferenceStats.Fail.Count);
        Assert.True(stats.InferenceStats.Success.Ns > 0);
        // The fake worker reports 3 ms queued and 7 ms of inference per call.
        Assert.Equal(2 * 3_000_000ul, stats.InferenceStats.Queue.Ns);
        Assert.Equal(2 * 7_000_000ul, stats.InferenceStats.ComputeInfer.Ns);
        Assert.True(stats.LastInference > 0);
        Assert.Equal(6ul, Assert.Single(all.ModelStats).InferenceCount);
        Assert.Equal([OldName, NewName], index.Models.Select(m => m.Name));
        Assert.All(index.Models, m => Assert.Equal("READY", m.State));
    }

    [Fact]
    public async Task TokenCount_ConfigMetadataAndOutput_AgreeOnNBy1()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;
        var request = new NvIngestStyleClient(client, NewName).Request(["a", "bb", "ccc"], "query", "END");
        request.Outputs.Clear();

        // Act
        var config = await client.ModelConfigAsync(new ModelConfigRequest { Name = NewName }, deadline: Deadline);
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = NewName }, deadline: Deadline);
        var response = await client.ModelInferAsync(request, deadline: Deadline);

        // Assert: dims [1] under max_batch_size > 0 means [-1,1]; the answer for 3 texts is [3,1].
        Assert.Equal([1L], config.Config.Output.Single(o => o.Name == "token_count").Dims);
        Assert.Equal([-1L, 1L], metadata.Outputs.Single(o => o.Name == "token_count").Shape);
        var output = response.Outputs.Single(o => o.Name == "token_count");
        Assert.Equal([3L, 1L], output.Shape);
        Assert.Equal(3 * sizeof(int), response.RawOutputContents[response.Outputs.IndexOf(output)].Length);
    }

    [Fact]
    public async Task UnservedMethods_Unimplemented_WithAMessageSayingWhy()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        var (channel, client) = Connect(host);
        using var _ = channel;

        // Act
        var load = await Assert.ThrowsAsync<RpcException>(() => client.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = NewName }, deadline: Deadline).ResponseAsync);
        var shm = await Assert.ThrowsAsync<RpcException>(() => client.SystemSharedMemoryStatusAsync(new SystemSharedMemoryStatusRequest(), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.Unimplemented, load.StatusCode);
        Assert.Contains("not implemented by NvEmbed", load.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unimplemented, shm.StatusCode);
        Assert.Contains("shared memory", shm.Status.Detail, StringComparison.Ordinal);
    }
}
