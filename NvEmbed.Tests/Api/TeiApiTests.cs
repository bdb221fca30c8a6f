using System.Net;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

/// <summary>The TEI routes: /embed, /tokenize, /decode, /info, /health, /metrics, with TEI's errors and timing headers.</summary>
public sealed class TeiApiTests
{
    private static readonly string[] s_timingHeaders =
        ["x-compute-time", "x-compute-tokens", "x-tokenization-time", "x-queue-time", "x-inference-time", "x-total-time"];

    private static float[][] Vectors(ApiCall call) => [.. call.Json.EnumerateArray().Select(ApiCall.ReadVector)];

    [Fact]
    public async Task Embed_Inputs_ReturnsNormalisedVectorsWithoutPrefixAndTimingHeaders()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":["first","second"]}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var vectors = Vectors(call);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("first"), 0), vectors[0]);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("second"), 0), vectors[1]);
        foreach (var header in s_timingHeaders)
        {
            Assert.True(call.Headers.Contains(header), header);
        }
    }

    [Fact]
    public async Task Embed_NormalizeFalse_ReturnsTheRawMean()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":"raw","normalize":false}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("raw"), 0, normalize: false), Vectors(call)[0]);
        Assert.False(Assert.Single(host.Worker.Calls).Normalize);
    }

    [Theory]
    [InlineData("Right")]
    [InlineData("Left")]
    public async Task Embed_TruncateWithDirection_KeepsTheRightTokens(string direction)
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.MaxTokens = 8;
        using var client = host.Client();
        var all = FakeModel.Tokenize("abcdefghijklmnop");
        int[] kept = direction == "Right" ? all[..8] : [all[0], .. all[^7..]];

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", $$"""{"inputs":"abcdefghijklmnop","truncate":true,"truncation_direction":"{{direction}}"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        VectorAssert.Close(FakeModel.Vector(kept, 0), Vectors(call)[0]);
    }

    [Fact]
    public async Task Embed_PromptNameAndDimensions_PrefixAndSlice()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":"what","prompt_name":"query","dimensions":8}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("query: what"), 8), Vectors(call)[0]);
    }

    [Fact]
    public async Task Embed_TooLong_Is422Tokenizer()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.MaxTokens = 4;
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":"too long"}""");

        // Assert
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.Status);
        Assert.Equal("tokenizer", call.Json.GetProperty("error_type").GetString());
        Assert.Equal("Input length 9 exceeds maximum allowed token size 4", call.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Embed_EmptyInput_Is400Empty()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":""}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal("empty", call.Json.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Embed_BadField_Is422Validation()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":"a","normalize":"yes"}""");

        // Assert
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.Status);
        Assert.Equal("validation", call.Json.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Embed_AdmissionLimitReached_Is429()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_MAX_QUEUE_SIZE"] = "1" });
        host.Worker.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = host.Client();
        var first = ApiCall.PostAsync(client, "/embed", """{"inputs":"first"}""");
        await NimErrorTests.WaitUntilAsync(() => !host.Worker.Calls.IsEmpty);

        // Act
        var call = await ApiCall.PostAsync(client, "/embed", """{"inputs":"second"}""");
        host.Worker.Gate.SetResult();
        await first;

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, call.Status);
        Assert.Equal("overloaded", call.Json.GetProperty("error_type").GetString());
        Assert.True(call.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Tokenize_NonAsciiText_ReturnsIdsTextsAndUtf8ByteOffsets()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        const string text = "aé€";

        // Act
        var call = await ApiCall.PostAsync(client, "/tokenize", JsonSerializer.Serialize(new { inputs = text }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var tokens = Assert.Single(call.Json.EnumerateArray()).EnumerateArray().ToArray();
        Assert.Equal(FakeModel.Tokenize(text), tokens.Select(t => t.GetProperty("id").GetInt32()));
        Assert.True(tokens[0].GetProperty("special").GetBoolean());
        Assert.Equal(FakeModel.BosText, tokens[0].GetProperty("text").GetString());
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 1; i < tokens.Length; i++)
        {
            var (start, stop) = (tokens[i].GetProperty("start").GetInt32(), tokens[i].GetProperty("stop").GetInt32());
            Assert.Equal(text[i - 1].ToString(), tokens[i].GetProperty("text").GetString());
            Assert.Equal(text[i - 1].ToString(), Encoding.UTF8.GetString(bytes[start..stop]));
        }
    }

    [Fact]
    public async Task Tokenize_WithoutSpecialTokens_HasNoBos()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/tokenize", """{"inputs":["ab","c"],"add_special_tokens":false}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var ids = call.Json.EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetProperty("id").GetInt32()).ToArray()).ToArray();
        Assert.Equal(FakeModel.Tokenize("ab", addBos: false), ids[0]);
        Assert.Equal(FakeModel.Tokenize("c", addBos: false), ids[1]);
    }

    [Fact]
    public async Task Decode_SingleList_ReturnsOneString()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        var ids = FakeModel.Tokenize("decode me");

        // Act
        var skip = await ApiCall.PostAsync(client, "/decode", JsonSerializer.Serialize(new { ids }));
        var keep = await ApiCall.PostAsync(client, "/decode", JsonSerializer.Serialize(new { ids, skip_special_tokens = false }));

        // Assert
        Assert.Equal("decode me", skip.Json.GetString());
        Assert.Equal(FakeModel.BosText + "decode me", keep.Json.GetString());
    }

    [Fact]
    public async Task Decode_Batch_ReturnsOneStringPerList()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/decode", JsonSerializer.Serialize(new { ids = new[] { FakeModel.Tokenize("one"), FakeModel.Tokenize("two") } }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(["one", "two"], call.Json.EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Decode_IdOutsideVocabulary_Is422()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/decode", $$"""{"ids":[{{FakeModel.VocabSize}}]}""");

        // Assert
        Assert.Equal(HttpStatusCode.UnprocessableEntity, call.Status);
        Assert.Equal("validation", call.Json.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Info_Always_DescribesModelAndLimits()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "7" });
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/info");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal(host.Worker.ServedName, call.Json.GetProperty("model_id").GetString());
        Assert.Equal(host.Worker.MaxTokens, call.Json.GetProperty("max_input_length").GetInt32());
        Assert.Equal(7, call.Json.GetProperty("max_client_batch_size").GetInt32());
        Assert.Equal("mean", call.Json.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString());
    }

    [Fact]
    public async Task Health_ReadyThenWorkerDown_Is200Then503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var ready = await ApiCall.GetAsync(client, "/health");
        host.Worker.FailWith = StatusCode.Unavailable;
        var down = await ApiCall.GetAsync(client, "/health");

        // Assert
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Equal("unhealthy", down.Json.GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Metrics_Always_IsPrometheusText()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        await ApiCall.PostAsync(client, "/embed", """{"inputs":"a"}""");

        // Act
        var call = await ApiCall.GetAsync(client, "/metrics");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.True(NimRoutesTests.Value(call.Body, "nvembed_api_requests_total{route=\"/embed\",status=\"200\"}") >= 1);
    }
}
