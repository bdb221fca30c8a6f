using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// Requests through the real gateway → api → tokenizer → inference processes, checked against
/// the same model run another way (the worker's own <c>embed</c> command on the tokenizer
/// service's ids), so a mistake anywhere along the way shows.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class GatewayEndToEndTests(AppHostFixture topology)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Embeddings_BatchThroughGateway_VectorsInOrderNormalizedWithUsage()
    {
        // Arrange
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };
        string[] inputs = ["defendant moves for summary judgment under Rule 56", "a second, longer passage of text", "三"];

        // Act
        using var response = await http.PostAsJsonAsync(
            "/v1/embeddings",
            new { input = inputs, model = "any", input_type = "query" });
        var body = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal(inputs.Length, data.GetArrayLength());
        var vectors = new List<float[]>();
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var vector = data[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 4);
            vectors.Add(vector);
        }

        // Each vector equals the worker's own run of the tokenizer's ids for "query: " + text.
        using var tokenizerClients = NvEmbed.Tests.Contracts.TestClients.Tokenizer([topology.Endpoint("tokenizer-0", "grpc")]);
        var tokenizer = tokenizerClients.Client;
        var expectedTokens = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            var batch = await tokenizer.EncodeAsync(["query: " + inputs[i]], TruncationMode.None, 0, true, false, null, CancellationToken.None);
            var ids = batch.Sequence(0).ToArray();
            expectedTokens += ids.Length;
            var reference = await WorkerCommand.EmbedAsync(topology.ModelDir, ids);
            Assert.True(Cosine(reference, vectors[i]) > 0.9999, $"input {i}: cosine {Cosine(reference, vectors[i])}");
        }

        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(expectedTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expectedTokens, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Embeddings_PassageAndQuery_DifferBecauseOfThePrefix()
    {
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };

        var query = await EmbedOneAsync(http, "the same text", "query");
        var passage = await EmbedOneAsync(http, "the same text", "passage");

        Assert.True(Cosine(query, passage) < 0.99999, "query and passage prefixes must give different vectors");
    }

    [Fact]
    public async Task HealthAndModels_ThroughGateway_ReadyAndSayWeightsAreGenerated()
    {
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };

        using var ready = await http.GetAsync("/v1/health/ready");
        using var models = await http.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        using var json = JsonDocument.Parse(await models.Content.ReadAsStringAsync());
        var model = Assert.Single(json.RootElement.GetProperty("data").EnumerateArray());
        Assert.StartsWith("Generated weights", model.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embeddings_TooLongWithTruncateNone_Returns400WithLengthAndLimit()
    {
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };
        var text = string.Join(' ', Enumerable.Repeat("word", 9000));

        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = text, model = "any", input_type = "passage" });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches("^Input length \\d+ exceeds maximum allowed token size 8192$", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Embeddings_TooLongWithTruncateEnd_EmbedsTheFirst8192Tokens()
    {
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };
        var text = string.Join(' ', Enumerable.Repeat("word", 9000));

        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = text, model = "any", input_type = "passage", truncate = "END" });
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(8192, json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(64, json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task KServeServerLive_OnGatewayGrpcPort_AnApiReplicaAnswersLive()
    {
        // Arrange: a raw unary gRPC call (empty ServerLiveRequest) on NIM_GRPC_API_PORT, which the gateway forwards.
        using var http = new HttpClient { Timeout = s_timeout };
        using var request = NvEmbed.Tests.Gateway.GatewayTestServer.GrpcRequest("/inference.GRPCInferenceService/ServerLive");
        request.RequestUri = new Uri(topology.GatewayGrpc, "/inference.GRPCInferenceService/ServerLive");

        // Act
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        // Assert: one message holding ServerLiveResponse { live = true } (field 1, varint 1), then grpc-status 0.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x01 }, body);
    }

    private static async Task<float[]> EmbedOneAsync(HttpClient http, string text, string inputType)
    {
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = text, model = "any", input_type = inputType });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    }

    private static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
