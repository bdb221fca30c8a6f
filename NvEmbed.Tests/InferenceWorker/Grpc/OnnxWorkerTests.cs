using NvEmbed.Contracts.ModelRepository;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Grpc;

/// <summary>The worker end to end with the real ONNX Runtime backend on a tiny generated model.</summary>
public class OnnxWorkerTests
{
    [Fact]
    public async Task Embed_SequencesBatchedWithOthersOnTwoSessions_SameVectorsAsEachAlone()
    {
        // Arrange: a tiny model served by two sessions; callers of mixed lengths share batches.
        using var temp = new TempDirectory();
        var modelDir = ModelFiles.CreateTiny(temp.Combine("model"));
        await using var server = await InferenceWorkerTestServer.StartAsync(loader: null, new Dictionary<string, string?>
        {
            ["NVEMBED_MODEL_DIR"] = modelDir,
            ["InferenceWorker:Sessions"] = "2",
            ["InferenceWorker:IntraOpThreads"] = "1",
            ["InferenceWorker:Batching:MaxBatchTokens"] = "512",
            ["InferenceWorker:Batching:MaxPaddingRatio"] = "1",
        });
        await server.WaitServingAsync();
        var random = new Random(17);
        var requests = Enumerable.Range(0, 24)
            .Select(_ => Enumerable.Range(0, random.Next(1, 3)).Select(_ => Enumerable.Range(0, random.Next(1, 90)).Select(_ => random.Next(1, 512)).ToArray()).ToArray())
            .ToArray();

        var largestBatch = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, server.MeterFactory) && instrument.Name == "nvembed.worker.batch.rows")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, rows, _, _) => InterlockedMax(ref largestBatch, rows));
        listener.Start();

        // Act
        var responses = await Task.WhenAll(requests.Select(r => server.EmbedAsync(r)));
        var info = await server.ModelInfoAsync();

        // Assert: each vector equals its sequence run alone (batch of one, no padding) and normalised.
        using var alone = OnnxBackend.Open(ModelDirectory.Open(modelDir), new OnnxBackendOptions { IntraOpThreads = 1 });
        for (var i = 0; i < requests.Length; i++)
        {
            for (var s = 0; s < requests[i].Length; s++)
            {
                var ids = requests[i][s].Select(id => (long)id).ToArray();
                var pooled = TinyModelFixture.EmbedAlone(alone, ids);
                var norm = MathF.Sqrt(pooled.Sum(v => v * v));
                var expected = pooled.Select(v => v / norm).ToArray();
                var actual = InferenceWorkerTestServer.Decode(responses[i].Embeddings[s]);
                Assert.Equal(expected.Length, actual.Length);
                Assert.True(expected.Zip(actual).Max(p => MathF.Abs(p.First - p.Second)) < 1e-4f, $"request {i} sequence {s} differs");
            }
        }

        Assert.True(largestBatch > 1, "sequences should have shared batches");
        Assert.Equal(ModelFingerprint.Compute(modelDir), info.ModelFingerprint);
        Assert.Equal((uint)TinyModelFixture.Spec.HiddenSize, info.Dimensions.Last());
        Assert.Equal("cpu", info.ExecutionProvider);
        Assert.Empty(server.LoggedErrors);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
