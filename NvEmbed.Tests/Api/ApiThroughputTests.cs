using System.Diagnostics;
using System.Net;
using System.Text;
using NvEmbed.Tests.Api.Fakes;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Api;

/// <summary>
/// The Api's own cost per request: real Kestrel on loopback, fake backends that answer at once, 8 concurrent clients
/// sending one short query each. NVEMBED_API_BENCH_REQUESTS sets the count (default 200: a quick check; 20000 for figures).
/// </summary>
public sealed class ApiThroughputTests(ITestOutputHelper output)
{
    private static int Requests => int.TryParse(Environment.GetEnvironmentVariable("NVEMBED_API_BENCH_REQUESTS"), out var n) && n > 0 ? n : 200;

    [Theory]
    [InlineData("float")]
    [InlineData("base64")]
    public async Task Embed_ConcurrentShortQueries_AllSucceedAndReportThroughput(string encoding)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var client = host.Client();
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","input":"how fast is the api?","input_type":"query","encoding_format":"{{encoding}}"}""");
        var latencies = new double[Requests];
        var failures = 0;
        var next = -1;
        await ApiCall.PostBytesAsync(client, "/v1/embeddings", body, "application/json");

        // Act
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < Requests; i = Interlocked.Increment(ref next))
            {
                var start = Stopwatch.GetTimestamp();
                var call = await ApiCall.PostBytesAsync(client, "/v1/embeddings", body, "application/json");
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (call.Status != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        watch.Stop();

        // Assert
        Array.Sort(latencies);
        output.WriteLine($"{Requests} requests ({encoding}), 8 concurrent: {Requests / watch.Elapsed.TotalSeconds:F0} req/s, " +
            $"p50 {latencies[Requests / 2]:F2} ms, p99 {latencies[(int)(Requests * 0.99)]:F2} ms");
        Assert.Equal(0, failures);
    }
}
