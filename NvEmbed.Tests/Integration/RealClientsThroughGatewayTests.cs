#pragma warning disable SCME0001 // JsonPatch (extra body fields) is marked experimental in System.ClientModel.
using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using NvEmbed.Tests.Infrastructure;
using OpenAI;
using OpenAI.Embeddings;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// The OpenAI .NET SDK and the npm <c>openai</c> and <c>@langchain/openai</c> clients embed through
/// the real gateway, Api, tokenizer and worker; their vectors must equal a plain HTTP call's.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RealClientsThroughGatewayTests(AppHostFixture topology)
{
    private const string Model = "nvidia/llama-3.2-nv-embedqa-1b-v2";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);
    private static readonly string[] s_texts = ["What is the capital of France?", "Paris is the capital of France.", "ünïcödé ✓ 東京"];

    [Fact]
    public async Task DotnetSdk_Base64WithInputType_MatchesPlainHttp()
    {
        var expected = await PlainAsync("query");
        var client = new EmbeddingClient(Model, new ApiKeyCredential("<no key provided>"), new OpenAIClientOptions { Endpoint = new Uri(topology.Gateway, "/v1") });
        var options = new EmbeddingGenerationOptions();
        options.Patch.Set("$.input_type"u8, "query");

        var result = await client.GenerateEmbeddingsAsync(s_texts, options).WaitAsync(s_timeout);

        AssertSame(expected, [.. result.Value.Select(e => e.ToFloats().ToArray())]);
    }

    [Theory]
    [InlineData("float")]
    [InlineData(null)] // the npm client asks for base64 and decodes it
    public async Task NodeOpenAi_ThroughGateway_MatchesPlainHttp(string? encodingFormat)
    {
        var expected = await PlainAsync("passage");

        var output = await NodeAsync("clients/openai-embed.mjs", new { model = Model, input = s_texts, input_type = "passage", encoding_format = encodingFormat });

        AssertSame(expected, Vectors(output));
    }

    [Fact]
    public async Task NodeLangchain_EmbedDocuments_MatchesPlainHttp()
    {
        var expected = await PlainAsync("passage");

        var output = await NodeAsync("clients/langchain-embed.mjs", new { model = Model, texts = s_texts, mode = "documents", input_type = "passage" });

        AssertSame(expected, Vectors(output));
    }

    private async Task<float[][]> PlainAsync(string inputType)
    {
        using var http = new HttpClient { BaseAddress = topology.Gateway, Timeout = s_timeout };
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { model = Model, input = s_texts, input_type = inputType, encoding_format = "float" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }

    private async Task<JsonElement> NodeAsync(string script, object spec)
    {
        var result = await NodeScript.RunAsync(script, [new Uri(topology.Gateway, "/v1").ToString()], JsonSerializer.Serialize(spec), s_timeout);
        Assert.True(result.ExitCode == 0, $"node {script} failed ({result.ExitCode}):\n{result.StandardError}\n{result.StandardOutput}");
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }

    private static float[][] Vectors(JsonElement output) =>
        [.. output.GetProperty("vectors").EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (var j = 0; j < expected[i].Length; j++)
            {
                Assert.True(Math.Abs(expected[i][j] - actual[i][j]) < 1e-6, $"vector {i}[{j}]: {expected[i][j]} vs {actual[i][j]}");
            }
        }
    }
}
