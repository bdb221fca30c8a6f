using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NvEmbed.Api.Embedding;

namespace NvEmbed.Api.Endpoints;

/// <summary>Writes bodies with the source-generated serializers, and TEI's timing headers.</summary>
public static class HttpWriter
{
    /// <summary>Writes <paramref name="value"/> as JSON straight to the response's pipe.</summary>
    public static Task WriteJsonAsync<T>(HttpContext context, T value, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.BodyWriter, value, typeInfo, context.RequestAborted);
    }

    /// <summary>
    /// TEI's timing headers, in whole milliseconds as TEI writes them: tokenization, queue and inference from the
    /// backends, compute = their sum, total = since the request arrived, and the tokens computed. The same stages, with
    /// the worker call as the Api saw it, also go into a W3C <c>Server-Timing</c> header in fractional milliseconds
    /// (<c>tokenize</c>, <c>worker</c>, <c>queue</c>, <c>inference</c>, <c>total</c>), fine enough for per-hop breakdowns.
    /// </summary>
    public static void AddTimingHeaders(HttpContext context, EmbedResult result, TimeSpan total)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(result);
        var headers = context.Response.Headers;
        var compute = result.TokenizationTime + result.QueueTime + result.InferenceTime;
        headers["x-compute-time"] = Ms(compute);
        headers["x-compute-tokens"] = result.PromptTokens.ToString(CultureInfo.InvariantCulture);
        headers["x-tokenization-time"] = Ms(result.TokenizationTime);
        headers["x-queue-time"] = Ms(result.QueueTime);
        headers["x-inference-time"] = Ms(result.InferenceTime);
        headers["x-total-time"] = Ms(total);
        headers["server-timing"] = string.Create(CultureInfo.InvariantCulture,
            $"tokenize;dur={result.TokenizationTime.TotalMilliseconds:0.###}, worker;dur={result.WorkerTime.TotalMilliseconds:0.###}, queue;dur={result.QueueTime.TotalMilliseconds:0.###}, inference;dur={result.InferenceTime.TotalMilliseconds:0.###}, total;dur={total.TotalMilliseconds:0.###}");
    }

    private static string Ms(TimeSpan time) => ((long)time.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
