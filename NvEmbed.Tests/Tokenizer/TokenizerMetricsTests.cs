using System.Diagnostics.Metrics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.Tokenizer.Grpc;

namespace NvEmbed.Tests.Tokenizer;

public class TokenizerMetricsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    // MetricCollector listens only to the meters of the given IMeterFactory, so tests running in parallel do not mix.
    private static MetricCollector<T> Collect<T>(TokenizerTestServer server, string instrument)
        where T : struct => new(server.Services.GetRequiredService<IMeterFactory>(), TokenizerMetrics.MeterName, instrument);

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);

    [Fact]
    public async Task Encode_AcceptedAndRejectedCalls_MoveTheTokenizerMetrics()
    {
        // Arrange: one-text chunks and room for two, so a three-text request is refused.
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?>
        {
            ["Tokenizer:Workers"] = "1",
            ["Tokenizer:QueueCapacity"] = "2",
            ["Tokenizer:ChunkSize"] = "1",
        });
        using var inputs = Collect<long>(server, "nvembed.tokenizer.inputs");
        using var tokens = Collect<long>(server, "nvembed.tokenizer.tokens");
        using var rejected = Collect<long>(server, "nvembed.tokenizer.rejected");
        using var duration = Collect<double>(server, "nvembed.tokenizer.encode.duration");
        using var depth = Collect<int>(server, "nvembed.tokenizer.queue.depth");
        var accepted = new EncodeRequest();
        accepted.Texts.Add(["All human beings are born free.", "Equal in dignity and rights."]);
        var refused = new EncodeRequest();
        refused.Texts.Add(["a", "b", "c"]);

        // Act
        var response = await server.Client.EncodeAsync(accepted).ResponseAsync.WaitAsync(s_timeout);
        await Assert.ThrowsAsync<RpcException>(() => server.Client.EncodeAsync(refused).ResponseAsync.WaitAsync(s_timeout));
        depth.RecordObservableInstruments();

        // Assert
        Assert.Equal(5, Sum(inputs));
        Assert.Equal(response.InputIds.Count, Sum(tokens));
        Assert.Equal(1, Sum(rejected));
        var durations = duration.GetMeasurementSnapshot();
        Assert.Single(durations);
        Assert.True(durations[0].Value > 0);
        Assert.Equal(0, depth.LastMeasurement?.Value);
    }

    [Fact]
    public async Task Encode_WhileWorkIsQueued_ReportsQueueDepth()
    {
        // Arrange: the pool's one worker is held by an item of the test's own, so a request's items wait behind it
        // (timing alone was not enough: on a busy machine a poll missed a request that was queued for ~20 ms).
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?>
        {
            ["Tokenizer:Workers"] = "1",
            ["Tokenizer:ChunkSize"] = "1",
        });
        using var depth = Collect<int>(server, "nvembed.tokenizer.queue.depth");
        var pool = server.Services.GetRequiredService<TokenizerWorkerPool>();
        using var hold = new ManualResetEventSlim(false);
        var holding = pool.TryRunAll([() => hold.Wait(s_timeout)], CancellationToken.None);
        Assert.NotNull(holding);
        var request = new EncodeRequest();
        request.Texts.Add(["first text", "second text", "third text"]);

        // Act
        var call = server.Client.EncodeAsync(request).ResponseAsync.WaitAsync(s_timeout);
        var peak = 0.0;
        var deadline = DateTime.UtcNow + s_timeout;
        while (peak < 4 && DateTime.UtcNow < deadline)
        {
            depth.RecordObservableInstruments();
            peak = Math.Max(peak, depth.LastMeasurement?.Value ?? 0);
            await Task.Delay(5);
        }

        hold.Set();
        var response = await call;
        await holding.WaitAsync(s_timeout);
        depth.RecordObservableInstruments();

        // Assert: the held item and the request's three were counted, and nothing is left once they ran.
        Assert.Equal(4, peak);
        Assert.Equal(4, response.CuSeqLengths.Count);
        Assert.Equal(0, depth.LastMeasurement?.Value);
    }
}
