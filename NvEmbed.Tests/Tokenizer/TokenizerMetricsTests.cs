using System.Diagnostics.Metrics;
using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.ServiceDefaults.Metrics;
using NvEmbed.Tokenizer.Grpc;

namespace NvEmbed.Tests.Tokenizer;

public class TokenizerMetricsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private static double Value(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"no {series} in:\n{metrics}");
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Encode_AcceptedAndRejectedCalls_MoveTheTokenizerMetrics()
    {
        // Arrange: one-text chunks and room for two, so a three-text request is refused; the service's
        // IMeterFactory is read by the same Prometheus renderer the service's /metrics endpoint uses.
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?>
        {
            ["Tokenizer:Workers"] = "1",
            ["Tokenizer:QueueCapacity"] = "2",
            ["Tokenizer:ChunkSize"] = "1",
        });
        using var prometheus = new PrometheusMetrics(server.Services.GetRequiredService<IMeterFactory>());
        var accepted = new EncodeRequest();
        accepted.Texts.Add(["All human beings are born free.", "Equal in dignity and rights."]);
        var refused = new EncodeRequest();
        refused.Texts.Add(["a", "b", "c"]);

        // Act
        var response = await server.Client.EncodeAsync(accepted).ResponseAsync.WaitAsync(s_timeout);
        await Assert.ThrowsAsync<RpcException>(() => server.Client.EncodeAsync(refused).ResponseAsync.WaitAsync(s_timeout));
        var metrics = prometheus.Render();

        // Assert
        Assert.Equal(5, Value(metrics, "nvembed_tokenizer_inputs_total"));
        Assert.Equal(response.InputIds.Count, Value(metrics, "nvembed_tokenizer_tokens_total"));
        Assert.Equal(1, Value(metrics, "nvembed_tokenizer_rejected_total"));
        Assert.Equal(1, Value(metrics, "nvembed_tokenizer_encode_duration_seconds_count"));
        Assert.True(Value(metrics, "nvembed_tokenizer_encode_duration_seconds_sum") > 0);
        Assert.Equal(0, Value(metrics, "nvembed_tokenizer_queue_depth"));
    }

    [Fact]
    public async Task Encode_WhileWorkIsQueued_ReportsQueueDepth()
    {
        // Arrange: one worker, one-text chunks and 2,000 long texts, so items wait on the queue for a while.
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?>
        {
            ["Tokenizer:Workers"] = "1",
            ["Tokenizer:QueueCapacity"] = "10000",
            ["Tokenizer:ChunkSize"] = "1",
        });
        using var prometheus = new PrometheusMetrics(server.Services.GetRequiredService<IMeterFactory>());
        var request = new EncodeRequest();
        request.Texts.Add(Enumerable.Range(0, 2000).Select(i => string.Concat(Enumerable.Repeat($"text {i} of a long request, ", 80))));

        // Act
        var call = server.Client.EncodeAsync(request).ResponseAsync.WaitAsync(s_timeout);
        var peak = 0.0;
        while (!call.IsCompleted)
        {
            peak = Math.Max(peak, Value(prometheus.Render(), "nvembed_tokenizer_queue_depth"));
            await Task.Delay(5);
        }

        await call;
        var after = Value(prometheus.Render(), "nvembed_tokenizer_queue_depth");

        // Assert
        Assert.True(peak > 0, "the queue depth never rose above 0 while the request ran");
        Assert.Equal(0, after);
    }
}
