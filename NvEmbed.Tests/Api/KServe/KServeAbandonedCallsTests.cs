using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Tests.Api.Fakes;
using NvEmbed.Tests.InferenceWorker.Batching;
using NvEmbed.Tests.InferenceWorker.Grpc;

namespace NvEmbed.Tests.Api.KServe;

/// <summary>
/// A KServe client that gives up on its calls must not leave their work in the worker: the Api cancels its backend
/// calls, the worker's scheduler drops their sequences before the model, and the next caller is answered at once.
/// (Before grpc-dotnet, an abandoned KServe call kept a worker busy for minutes and the next request waited 116 s.)
/// The Api runs on Kestrel with the real worker service (its scheduler, over a slow test backend) and a fake tokenizer.
/// </summary>
public sealed class KServeAbandonedCallsTests
{
    private const string Model = "test_model";

    [Fact]
    public async Task ModelInfer_ManyCallsAbandoned_TheirWorkIsDroppedAndAShortCallIsAnsweredPromptly()
    {
        // Arrange: every batch takes 400 ms and holds one sequence, so six abandoned calls that ran would cost 2.4 s.
        var backend = new TestBackend(hiddenSize: 8) { DelayPerBatch = TimeSpan.FromMilliseconds(400) };
        await using var worker = await InferenceWorkerTestServer.StartAsync(new TestModelLoader(backend) { Dimensions = [4, 8] },
            new Dictionary<string, string?> { ["InferenceWorker:Batching:MaxBatchRows"] = "1" });
        await worker.WaitServingAsync();
        await using var backends = await FakeGrpcBackends.StartAsync();
        backends.Tokenizer.Fingerprint = "fingerprint-of-test-model";
        await using var host = new ApiTestHost(new Dictionary<string, string?>
        {
            ["services:tokenizer:grpc:0"] = backends.Address.ToString(),
            ["services:inference:grpc:0"] = worker.Address.ToString(),
        }, kestrel: true, fakeBackends: false);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var nvIngest = new NvIngestStyleClient(client, Model);
        await client.ModelInferAsync(nvIngest.Request(["warm-up"], "query", "END"), deadline: DateTime.UtcNow.AddSeconds(30));
        var scheduler = worker.Runtime.Scheduler!;

        // One call runs (held at the backend); six more wait in the worker's queue behind it.
        var gate = backend.HoldRuns();
        var running = client.ModelInferAsync(nvIngest.Request(["the call that runs"], "query", "END"), deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync;
        Assert.True(await backend.RunStarted.WaitAsync(ApiTestHost.Timeout));
        var abandon = new CancellationTokenSource();
        var abandoned = Enumerable.Range(0, 6)
            .Select(i => client.ModelInferAsync(nvIngest.Request([$"abandoned call {i}".PadRight(40, '.')], "query", "END"),
                deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: abandon.Token).ResponseAsync)
            .ToArray();
        // The scheduler may have cut the next batch already (it prepares one while the model runs): wait for the rest.
        await WaitUntilAsync(() => scheduler.QueuedTokens >= 5 * 48);

        // Act: the client gives up on the six; then the held run finishes and a short call comes.
        await abandon.CancelAsync();
        foreach (var call in abandoned)
        {
            Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(ApiTestHost.Timeout))).StatusCode);
        }

        await WaitUntilAsync(() => scheduler.QueuedTokens == 0);
        gate.Set();
        await running.WaitAsync(ApiTestHost.Timeout);
        var watch = Stopwatch.StartNew();
        var vectors = await nvIngest.EmbedAsync(["hi"], "query", "END", ApiTestHost.Timeout);
        var shortCall = watch.Elapsed;

        // Assert: the short call took one batch (400 ms), not the abandoned calls' 2.4 s, and none of their
        // 48-token sequences reached the model.
        Assert.Equal(8, Assert.Single(vectors).Length);
        Assert.InRange(shortCall, TimeSpan.Zero, TimeSpan.FromMilliseconds(1500));
        Assert.DoesNotContain(backend.Batches, b => b.SequenceLength == 48);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < ApiTestHost.Timeout, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
