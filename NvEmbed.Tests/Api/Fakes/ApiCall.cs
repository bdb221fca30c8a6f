using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>An HTTP exchange with the Api and its parsed JSON body.</summary>
public sealed record ApiCall(HttpStatusCode Status, string Body, HttpResponseHeaders Headers, string? ContentType)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public static async Task<ApiCall> PostAsync(HttpClient client, string path, string json, string contentType = "application/json")
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync(path, content).WaitAsync(ApiTestHost.Timeout);
        return await FromAsync(response);
    }

    public static async Task<ApiCall> PostBytesAsync(HttpClient client, string path, byte[] body, string? contentType)
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await client.PostAsync(path, content).WaitAsync(ApiTestHost.Timeout);
        return await FromAsync(response);
    }

    public static async Task<ApiCall> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path).WaitAsync(ApiTestHost.Timeout);
        return await FromAsync(response);
    }

    private static async Task<ApiCall> FromAsync(HttpResponseMessage response) =>
        new(response.StatusCode, await response.Content.ReadAsStringAsync().WaitAsync(ApiTestHost.Timeout), response.Headers, response.Content.Headers.ContentType?.ToString());

    /// <summary>The float vectors of a /v1/embeddings answer, in data order, decoding base64 when needed.</summary>
    public float[][] Vectors() => [.. Json.GetProperty("data").EnumerateArray().Select(d => ReadVector(d.GetProperty("embedding")))];

    public static float[] ReadVector(JsonElement embedding)
    {
        if (embedding.ValueKind == JsonValueKind.String)
        {
            var bytes = Convert.FromBase64String(embedding.GetString()!);
            return [.. Enumerable.Range(0, bytes.Length / 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)))];
        }

        return [.. embedding.EnumerateArray().Select(v => v.GetSingle())];
    }
}
