#pragma warning disable SCME0001 // JsonPatch (extra body fields) is marked experimental in System.ClientModel.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using NvEmbed.Tests.Api.Fakes;
using NvEmbed.Tests.Infrastructure;
using OpenAI;
using OpenAI.Embeddings;

namespace NvEmbed.Tests.Api;

/// <summary>
/// Real clients (the OpenAI .NET SDK, npm <c>openai</c> and <c>@langchain/openai</c>) against the Api on real Kestrel,
/// with the fake backends; their vectors must equal a plain HTTP call's. The node scripts take the base URL as an
/// argument, so the integration tests run the same scripts through the gateway.
/// </summary>
public sealed class RealClientTests
{
    private const string Model = "nvidia/llama-3.2-nv-embedqa-1b-v2";
    private static readonly string[] s_texts = ["What is the capital of France?", "Paris is the capital of France.", "ünïcödé ✓ 東京"];

    /// <summary>The reference: a plain HTTP call asking for floats.</summary>
    private static async Task<float[][]> PlainAsync(HttpClient client, string inputType, string model = Model, int? dimensions = null)
    {
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model, input = s_texts, input_type = inputType, encoding_format = "float", dimensions }));
        Assert.Equal(HttpStatusCode.OK, call.Status);
        return call.Vectors();
    }

    private static void AssertSame(float[][] expected, float[][] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            VectorAssert.Close(expected[i], actual[i]);
        }
    }

    private static async Task<JsonElement> NodeAsync(string script, string baseUrl, object spec)
    {
        var result = await NodeScript.RunAsync(script, [baseUrl], JsonSerializer.Serialize(spec), ApiTestHost.Timeout);
        Assert.True(result.ExitCode == 0, $"node {script} failed ({result.ExitCode}):\n{result.StandardError}\n{result.StandardOutput}");
        return JsonDocument.Parse(result.StandardOutput).RootElement;
    }

    private static float[][] NodeVectors(JsonElement output) =>
        [.. output.GetProperty("vectors").EnumerateArray().Select(v => v.EnumerateArray().Select(x => x.GetSingle()).ToArray())];

    [Fact]
    public async Task DotnetSdk_DefaultBase64WithInputTypePatch_MatchesPlainHttp()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var plain = host.Client();
        var expected = await PlainAsync(plain, "query");
        var bodies = new ConcurrentQueue<string>();
        using var http = new HttpClient(new RecordingHandler(bodies)) { Timeout = ApiTestHost.Timeout };
        var client = new EmbeddingClient(Model, new ApiKeyCredential("not-used"), new OpenAIClientOptions
        {
            Endpoint = new Uri(host.BaseAddress() + "v1"),
            Transport = new HttpClientPipelineTransport(http),
        });
        var options = new EmbeddingGenerationOptions();
        options.Patch.Set("$.input_type"u8, "query");

        // Act
        var result = await client.GenerateEmbeddingsAsync(s_texts, options).WaitAsync(ApiTestHost.Timeout);

        // Assert
        var sent = JsonDocument.Parse(Assert.Single(bodies)).RootElement;
        Assert.Equal("query", sent.GetProperty("input_type").GetString());
        Assert.Equal("base64", sent.GetProperty("encoding_format").GetString());
        AssertSame(expected, [.. result.Value.Select(e => e.ToFloats().ToArray())]);
        Assert.Equal(s_texts.Sum(t => FakeModel.Tokenize("query: " + t).Length), result.Value.Usage.InputTokenCount);
    }

    [Fact]
    public async Task DotnetSdk_ProtocolMethodWithFloat_MatchesPlainHttp()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var plain = host.Client();
        var expected = await PlainAsync(plain, "passage", dimensions: 8);
        var client = new EmbeddingClient(Model, new ApiKeyCredential("not-used"), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress() + "v1") });
        var body = BinaryContent.Create(BinaryData.FromObjectAsJson(new { model = Model, input = s_texts, input_type = "passage", encoding_format = "float", dimensions = 8 }));

        // Act
        var result = await client.GenerateEmbeddingsAsync(body).WaitAsync(ApiTestHost.Timeout);
        var embeddings = ModelReaderWriter.Read<OpenAIEmbeddingCollection>(result.GetRawResponse().Content)!;

        // Assert
        AssertSame(expected, [.. embeddings.Select(e => e.ToFloats().ToArray())]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("float")]
    [InlineData("base64")]
    public async Task NodeOpenAi_EncodingFormats_MatchPlainHttp(string? encodingFormat)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var plain = host.Client();
        var expected = await PlainAsync(plain, "query");

        // Act
        var output = await NodeAsync("clients/openai-embed.mjs", host.BaseAddress() + "v1",
            new { model = Model, input = s_texts, input_type = "query", encoding_format = encodingFormat });

        // Assert
        AssertSame(expected, NodeVectors(output));
        Assert.Equal(Model, output.GetProperty("model").GetString());
        Assert.Equal(s_texts.Sum(t => FakeModel.Tokenize("query: " + t).Length), output.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Theory]
    [InlineData("float", "documents")]
    [InlineData("base64", "documents")]
    [InlineData(null, "documents")]
    public async Task NodeLangchain_EmbedDocuments_MatchesPlainHttp(string? encodingFormat, string mode)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var plain = host.Client();
        var expected = await PlainAsync(plain, "passage", dimensions: 4);

        // Act
        var output = await NodeAsync("clients/langchain-embed.mjs", host.BaseAddress() + "v1",
            new { model = Model, texts = s_texts, mode, input_type = "passage", encoding_format = encodingFormat, dimensions = 4 });

        // Assert
        AssertSame(expected, NodeVectors(output));
    }

    [Fact]
    public async Task NodeLangchain_EmbedQueryWithModelSuffix_MatchesPlainHttp()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var plain = host.Client();
        var expected = await PlainAsync(plain, "query");

        // Act
        var output = await NodeAsync("clients/langchain-embed.mjs", host.BaseAddress() + "v1",
            new { model = Model + "-query", texts = new[] { s_texts[0] }, mode = "query" });

        // Assert
        AssertSame([expected[0]], NodeVectors(output));
    }

    /// <summary>Records request bodies on their way out.</summary>
    private sealed class RecordingHandler(ConcurrentQueue<string> bodies) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
            {
                bodies.Enqueue(await request.Content.ReadAsStringAsync(cancellationToken));
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
