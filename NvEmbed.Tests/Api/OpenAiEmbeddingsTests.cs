using System.Net;
using System.Text.Json;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

/// <summary>POST /v1/embeddings: every field and rule of the NIM contract, checked against the fakes' definition.</summary>
public sealed class OpenAiEmbeddingsTests
{
    private const string Model = "nvidia/llama-3.2-nv-embedqa-1b-v2";

    private static float[] Expected(string text, string prefix = "query: ", int dimensions = 0) =>
        FakeModel.Vector(FakeModel.Tokenize(prefix + text), dimensions);

    [Fact]
    public async Task Embed_StringInput_ReturnsOneFullSizeVectorAsJsonNumbers()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"nvidia/llama-3.2-nv-embedqa-1b-v2","input":"hello world","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal("list", call.Json.GetProperty("object").GetString());
        var item = Assert.Single(call.Json.GetProperty("data").EnumerateArray());
        Assert.Equal("embedding", item.GetProperty("object").GetString());
        Assert.Equal(0, item.GetProperty("index").GetInt32());
        Assert.All(item.GetProperty("embedding").EnumerateArray(), v => Assert.Equal(JsonValueKind.Number, v.ValueKind));
        VectorAssert.Close(Expected("hello world"), call.Vectors()[0]);
        Assert.Equal(FakeModel.FullDimensions, call.Vectors()[0].Length);
    }

    [Fact]
    public async Task Embed_ListInput_KeepsInputOrder()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        string[] texts = ["zeta", "alpha", "mid", "a much longer passage text", "b"];

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = texts, input_type = "passage" }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var data = call.Json.GetProperty("data").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(0, texts.Length), data.Select(d => d.GetProperty("index").GetInt32()));
        var vectors = call.Vectors();
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(Expected(texts[i], "passage: "), vectors[i]);
        }
    }

    [Theory]
    [InlineData("query", "query: ")]
    [InlineData("passage", "passage: ")]
    [InlineData("QUERY", "query: ")]
    public async Task Embed_InputType_PrefixesTheText(string inputType, string prefix)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = "some text", input_type = inputType }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(prefix + "some text", Assert.Single(Assert.Single(host.Tokenizer.EncodeCalls)));
        VectorAssert.Close(Expected("some text", prefix), call.Vectors()[0]);
    }

    [Theory]
    [InlineData(Model + "-query", "query: ")]
    [InlineData(Model + "-passage", "passage: ")]
    public async Task Embed_ModelNameSuffix_ActsAsInputType(string model, string prefix)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { model, input = "text" }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(prefix + "text", Assert.Single(Assert.Single(host.Tokenizer.EncodeCalls)));
        Assert.Equal(model, call.Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Embed_Usage_CountsPrefixAndBosTokens()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        string[] texts = ["one", "three"];
        var expected = texts.Sum(t => FakeModel.Tokenize("query: " + t).Length);

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { model = Model, input = texts, input_type = "query" }));

        // Assert
        var usage = call.Json.GetProperty("usage");
        Assert.Equal(expected, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Embed_RequestedModel_IsEchoed()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"my-alias","input":"x","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal("my-alias", call.Json.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("START")]
    [InlineData("END")]
    [InlineData("start")]
    public async Task Embed_TruncateOverLimit_KeepsTheRightTokens(string truncate)
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.MaxTokens = 16;
        using var client = host.Client();
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => (char)('a' + (i % 26))));
        var all = FakeModel.Tokenize("query: " + text);
        int[] kept = truncate.Equals("END", StringComparison.OrdinalIgnoreCase)
            ? all[..16]
            : [all[0], .. all[^15..]];

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = text, input_type = "query", truncate }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(FakeModel.BosId, Assert.Single(host.Worker.Calls).Ids[0]);
        VectorAssert.Close(FakeModel.Vector(kept, 0), call.Vectors()[0]);
        Assert.Equal(16, call.Json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(16)]
    public async Task Embed_Dimensions_SlicesAndRenormalises(int dimensions)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = "text", input_type = "query", dimensions }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var vector = call.Vectors()[0];
        Assert.Equal(dimensions, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 5);
        VectorAssert.Close(Expected("text", dimensions: dimensions), vector);
    }

    [Fact]
    public async Task Embed_DimensionsNull_ReturnsTheFullSize()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input":"text","input_type":"query","dimensions":null}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(FakeModel.FullDimensions, call.Vectors()[0].Length);
    }

    [Fact]
    public async Task Embed_Base64_IsTheLittleEndianFloatsOfTheFloatAnswer()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        const string body = """{"model":"m","input":["a","bb"],"input_type":"query","dimensions":8,"encoding_format":"{0}"}""";

        // Act
        var floats = await ApiCall.PostAsync(client, "/v1/embeddings", body.Replace("{0}", "float"));
        var base64 = await ApiCall.PostAsync(client, "/v1/embeddings", body.Replace("{0}", "base64"));

        // Assert
        Assert.Equal(HttpStatusCode.OK, base64.Status);
        var encoded = base64.Json.GetProperty("data")[1].GetProperty("embedding");
        Assert.Equal(JsonValueKind.String, encoded.ValueKind);
        Assert.Equal(8 * 4, Convert.FromBase64String(encoded.GetString()!).Length);
        var expected = floats.Vectors();
        var actual = base64.Vectors();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Theory]
    [InlineData("int8")]
    [InlineData("uint8")]
    [InlineData("binary")]
    [InlineData("ubinary")]
    public async Task Embed_EmbeddingType_QuantisesTheFloatVector(string embeddingType)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        var floats = Expected("quantise me");

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = "quantise me", input_type = "query", embedding_type = embeddingType }));
        var asBase64 = await ApiCall.PostAsync(client, "/v1/embeddings",
            JsonSerializer.Serialize(new { model = Model, input = "quantise me", input_type = "query", embedding_type = embeddingType, encoding_format = "base64" }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var values = call.Json.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var expected = Quantise(floats, embeddingType);
        Assert.Equal(expected, values);
        var bytes = Convert.FromBase64String(asBase64.Json.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        Assert.Equal(expected.Select(v => unchecked((byte)v)), bytes);
    }

    // An independent statement of the documented quantisation (VectorEncoder's remarks).
    private static int[] Quantise(float[] v, string type)
    {
        switch (type)
        {
            case "int8":
                return [.. v.Select(x => (int)Math.Clamp(Math.Round(x * 127.0, MidpointRounding.AwayFromZero), -127, 127))];
            case "uint8":
                return [.. v.Select(x => (int)Math.Clamp(Math.Round((x + 1.0) * 127.5, MidpointRounding.AwayFromZero), 0, 255))];
            default:
                var packed = new int[(v.Length + 7) / 8];
                for (var i = 0; i < v.Length; i++)
                {
                    packed[i / 8] += v[i] > 0 ? 1 << (7 - (i % 8)) : 0;
                }

                return type == "binary" ? [.. packed.Select(p => p - 128)] : packed;
        }
    }

    [Theory]
    [InlineData("\"text\"")]
    [InlineData("[\"text\"]")]
    [InlineData("[\"text\",\"TEXT\"]")]
    public async Task Embed_ModalityText_IsAccepted(string modality)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", $$"""{"model":"m","input":["a","b"],"input_type":"query","modality":{{modality}}}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
    }

    [Fact]
    public async Task Embed_ModalityImage_IsRejected()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input":"a","input_type":"query","modality":"image"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal("modality", call.Json.GetProperty("detail").GetProperty("loc")[1].GetString());
    }

    [Fact]
    public async Task Embed_UserField_IsAcceptedAndIgnored()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input":"a","input_type":"query","user":"user-1"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        VectorAssert.Close(Expected("a"), call.Vectors()[0]);
    }

    [Fact]
    public async Task Embed_AnyBearerToken_IsAccepted()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer <no key provided>");

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
    }

    [Fact]
    public async Task Embed_MoreTokensThanOneWorkerCall_IsSplitAndMergedInOrder()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["Api:MaxTokensPerWorkerCall"] = "20" });
        using var client = host.Client();
        string[] texts = [.. Enumerable.Range(0, 12).Select(i => new string((char)('a' + i), 3 + (i % 5)))];

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { model = Model, input = texts, input_type = "passage" }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var calls = host.Worker.Calls.ToArray();
        Assert.True(calls.Length > 1, $"expected several worker calls, got {calls.Length}");
        Assert.All(calls, c => Assert.True(c.Ids.Length <= 20 || c.CuSeqLengths.Length == 2));
        Assert.Equal(texts.Length, calls.Sum(c => c.CuSeqLengths.Length - 1));
        var vectors = call.Vectors();
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(Expected(texts[i], "passage: "), vectors[i]);
        }
    }

    [Fact]
    public async Task Embed_WorkerBudget_IsUsedWhenNoneIsConfigured()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.MaxBatchTokens = 30;
        using var client = host.Client();
        string[] texts = [.. Enumerable.Range(0, 6).Select(i => new string('x', 10 + i))];

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { model = Model, input = texts, input_type = "query" }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(texts.Length, host.Worker.Calls.Count);
        var vectors = call.Vectors();
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(Expected(texts[i]), vectors[i]);
        }
    }

    [Fact]
    public async Task Embed_Response_CarriesTeiTimingHeaders()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input":"abc","input_type":"query"}""");

        // Assert
        foreach (var header in new[] { "x-compute-time", "x-tokenization-time", "x-queue-time", "x-inference-time", "x-total-time" })
        {
            Assert.True(long.Parse(call.Headers.GetValues(header).Single()) >= 0, header);
        }

        Assert.Equal(7, long.Parse(call.Headers.GetValues("x-inference-time").Single()));
        Assert.Equal(FakeModel.Tokenize("query: abc").Length, int.Parse(call.Headers.GetValues("x-compute-tokens").Single()));
        var serverTiming = call.Headers.GetValues("server-timing").Single().Split(", ")
            .Select(metric => metric.Split(";dur="))
            .ToDictionary(parts => parts[0], parts => double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["tokenize", "worker", "queue", "inference", "total"], serverTiming.Keys);
        Assert.Equal(7, serverTiming["inference"]);
        Assert.True(serverTiming["total"] >= serverTiming["tokenize"] + serverTiming["worker"], call.Headers.GetValues("server-timing").Single());
    }
}
