using System.Diagnostics;
using System.Text.Json;
using NvEmbed.Api.Embedding;
using NvEmbed.Api.Models;
using NvEmbed.Tests.Api.Fakes;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Api;

/// <summary>
/// The response encoder on its own: exact float round trip, and its speed for a full batch (30 × 2048) as float JSON
/// and as base64, next to System.Text.Json's own float[] serialization. NVEMBED_API_BENCH_ITERATIONS sets the
/// iterations (default 20: a quick check; 2000 for figures).
/// </summary>
public sealed class ResponseEncodingTests(ITestOutputHelper output)
{
    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("NVEMBED_API_BENCH_ITERATIONS"), out var n) && n > 0 ? n : 20;

    private static (EmbeddingListResponse Response, float[][] Floats) Batch(bool base64, int count = 30, int dimensions = 2048)
    {
        var random = new Random(7);
        var floats = new float[count][];
        var items = new EmbeddingItem[count];
        for (var i = 0; i < count; i++)
        {
            floats[i] = [.. Enumerable.Range(0, dimensions).Select(_ => (float)((random.NextDouble() * 2) - 1) / 45f)];
            items[i] = new EmbeddingItem { Index = i, Embedding = VectorEncoder.Encode(FakeModel.Pack(floats[i]), EmbeddingType.Float, base64) };
        }

        var response = new EmbeddingListResponse { Data = items, Model = "m", Usage = new EmbeddingUsage { PromptTokens = 1, TotalTokens = 1 } };
        return (response, floats);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Serialize_FullBatch_RoundTripsEveryFloatExactly(bool base64)
    {
        // Arrange
        var (response, floats) = Batch(base64);

        // Act
        var json = JsonSerializer.SerializeToUtf8Bytes(response, ApiJsonContext.Default.EmbeddingListResponse);
        var parsed = new ApiCall(System.Net.HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(json), new HttpResponseMessage().Headers, null).Vectors();

        // Assert
        for (var i = 0; i < floats.Length; i++)
        {
            Assert.Equal(floats[i], parsed[i]);
        }
    }

    [Fact]
    public void Serialize_FullBatch_ReportsThroughput()
    {
        // Arrange
        var (floatResponse, floats) = Batch(base64: false);
        var (base64Response, _) = Batch(base64: true);
        var plain = new { data = floats.Select((f, i) => new { index = i, embedding = f }).ToArray() };
        using var sink = new MemoryStream(1 << 20);

        // Act
        var ours = Measure(() => JsonSerializer.Serialize(sink, floatResponse, ApiJsonContext.Default.EmbeddingListResponse), sink);
        var ours64 = Measure(() => JsonSerializer.Serialize(sink, base64Response, ApiJsonContext.Default.EmbeddingListResponse), sink);
        var reflection = Measure(() => JsonSerializer.Serialize(sink, plain), sink);

        // Assert
        output.WriteLine($"{Iterations} iterations of 30 x 2048: float JSON {ours}; base64 {ours64}; STJ float[] (reflection) {reflection}");
        Assert.True(ours.Bytes > ours64.Bytes, "base64 must be smaller than float JSON");
    }

    private static Result Measure(Action serialize, MemoryStream sink)
    {
        sink.SetLength(0);
        serialize();
        var bytes = sink.Length;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < Iterations; i++)
        {
            sink.SetLength(0);
            serialize();
        }

        return new Result(bytes, watch.Elapsed / Iterations);
    }

    private sealed record Result(long Bytes, TimeSpan PerBatch)
    {
        public override string ToString() =>
            $"{Bytes / 1024.0:F0} KiB/batch, {PerBatch.TotalMilliseconds:F3} ms/batch, {30 / PerBatch.TotalSeconds:F0} vectors/s, {Bytes / PerBatch.TotalSeconds / 1e6:F0} MB/s";
    }
}
