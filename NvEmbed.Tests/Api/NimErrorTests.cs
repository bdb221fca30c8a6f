using System.Net;
using System.Text.Json;
using Grpc.Core;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

/// <summary>One test per row of the contract's error table, on the NIM/OpenAI surface.</summary>
public sealed class NimErrorTests
{
    private static void AssertValidation(ApiCall call, string type, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        var json = call.Json;
        Assert.Equal("error", json.GetProperty("object").GetString());
        Assert.Equal("Your request cannot be validated, it is incorrect.", json.GetProperty("message").GetString());
        Assert.Equal("request_validation_error", json.GetProperty("type").GetString());
        var detail = json.GetProperty("detail");
        Assert.Equal(type, detail.GetProperty("type").GetString());
        Assert.Equal("body", detail.GetProperty("loc")[0].GetString());
        Assert.Equal(field, detail.GetProperty("loc")[1].GetString());
        Assert.False(string.IsNullOrEmpty(detail.GetProperty("msg").GetString()));
    }

    private static string Error(ApiCall call) => call.Json.GetProperty("error").GetString()!;

    [Fact]
    public async Task Embed_EncodingFormatUnknown_AnswersValidationBodyWithLocAndMsg()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query","encoding_format":"int"}""");

        // Assert
        AssertValidation(call, "literal_error", "encoding_format");
        Assert.Equal("Input should be 'float' or 'base64'", call.Json.GetProperty("detail").GetProperty("msg").GetString());
        Assert.Equal("int", call.Json.GetProperty("detail").GetProperty("input").GetString());
    }

    [Fact]
    public async Task Embed_EncodingFormatNull_AnswersTheObservedValidationBody()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query","encoding_format":null}""");

        // Assert
        AssertValidation(call, "literal_error", "encoding_format");
        Assert.Equal("Input should be 'float' or 'base64'", call.Json.GetProperty("detail").GetProperty("msg").GetString());
        Assert.Equal(JsonValueKind.Null, call.Json.GetProperty("detail").GetProperty("input").ValueKind);
    }

    [Fact]
    public async Task Embed_UnknownField_IsExtraForbidden()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query","temperature":0.5}""");

        // Assert
        AssertValidation(call, "extra_forbidden", "temperature");
        Assert.Equal("Extra inputs are not permitted", call.Json.GetProperty("detail").GetProperty("msg").GetString());
    }

    [Fact]
    public async Task Embed_MissingInput_IsMissing()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"m","input_type":"query"}""");

        // Assert
        AssertValidation(call, "missing", "input");
    }

    [Fact]
    public async Task Embed_InputOfWrongType_IsStringTypeAtTheItem()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["a",3],"input_type":"query"}""");

        // Assert
        AssertValidation(call, "string_type", "input");
        Assert.Equal(1, call.Json.GetProperty("detail").GetProperty("loc")[2].GetInt32());
    }

    [Fact]
    public async Task Embed_InvalidJson_IsJsonInvalid()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a",""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal("json_invalid", call.Json.GetProperty("detail").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Embed_MissingInputType_AnswersNimsText()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"nvidia/llama-3.2-nv-embedqa-1b-v2","input":"a"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal("'input_type' parameter is required for asymmetric models", Error(call));
        Assert.Empty(host.Tokenizer.EncodeCalls);
    }

    [Fact]
    public async Task Embed_TooLongWithTruncateNone_AnswersLengthAndLimit()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.MaxTokens = 16;
        using var client = host.Client();
        var text = new string('q', 30);
        var length = FakeModel.Tokenize("query: " + text).Length;

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { input = new[] { "ok", text }, input_type = "query", truncate = "NONE" }));

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal($"Input length {length} exceeds maximum allowed token size 16", Error(call));
        Assert.Empty(host.Worker.Calls);
    }

    [Fact]
    public async Task Embed_MaxSequenceLengthOption_LowersTheLimit()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_SEQ_LENGTH"] = "12" });
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"0123456789","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal($"Input length {FakeModel.Tokenize("query: 0123456789").Length} exceeds maximum allowed token size 12", Error(call));
    }

    [Fact]
    public async Task Embed_EmptyString_Is400()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["a",""],"input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Contains("index 1", Error(call));
    }

    [Fact]
    public async Task Embed_EmptyList_Is400()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":[],"input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Contains("empty", Error(call));
    }

    [Fact]
    public async Task Embed_MoreInputsThanMaxBatchSize_Is400()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "3" });
        using var client = host.Client();

        // Act
        var ok = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["a","b","c"],"input_type":"query"}""");
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["a","b","c","d"],"input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Contains("Batch size 4 exceeds the maximum allowed batch size 3", Error(call));
    }

    [Fact]
    public async Task Embed_DimensionNotOffered_IsValidationError()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query","dimensions":5}""");

        // Assert
        AssertValidation(call, "value_error", "dimensions");
        Assert.Contains("4, 8, 16", call.Json.GetProperty("detail").GetProperty("msg").GetString());
        Assert.Empty(host.Worker.Calls);
    }

    [Fact]
    public async Task Embed_UnknownModelWhenSeveralAreServed_Is404()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVED_MODEL_NAME"] = "model-a, model-b" });
        using var client = host.Client();

        // Act
        var known = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"model-b","input":"a","input_type":"query"}""");
        var suffixed = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"model-a-passage","input":"a"}""");
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"model":"model-c","input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, known.Status);
        Assert.Equal(HttpStatusCode.OK, suffixed.Status);
        Assert.Equal(HttpStatusCode.NotFound, call.Status);
        Assert.Contains("model-c", Error(call));
    }

    [Fact]
    public async Task Embed_BodyOverTheLimit_Is413()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_HTTP_BODY_LIMIT_BYTES"] = "1000" });
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { input = new string('a', 2000), input_type = "query" }));

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, call.Status);
        Assert.Contains("1000", Error(call));
    }

    [Theory]
    [InlineData(2_000)] // over our limit, under Kestrel's (limit + 1): found by the Api's own read
    [InlineData(100_000)] // far over both: Kestrel stops the read (small enough that the client still reads the answer)
    public async Task Embed_ChunkedBodyOverTheLimit_Is413WithTheLimit(int size)
    {
        // Arrange: real Kestrel, no Content-Length, so the size shows only while the body is read.
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_HTTP_BODY_LIMIT_BYTES"] = "1000" }, kestrel: true);
        using var client = host.Client();
        var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { input = new string('a', size), input_type = "query" }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StreamContent(new MemoryStream(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        // Act
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("exceeds the limit of 1000 bytes", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Embed_WrongContentType_Is415()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""", "text/plain");

        // Assert
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, call.Status);
        Assert.Contains("application/json", Error(call));
    }

    [Fact]
    public async Task Embed_WorkerResourceExhausted_Is429WithRetryAfter()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.FailWith = StatusCode.ResourceExhausted;
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, call.Status);
        Assert.Equal("1", call.Headers.GetValues("Retry-After").Single());
        Assert.Contains("overloaded", Error(call));
    }

    [Fact]
    public async Task Embed_AdmissionLimitReached_Is503WithRetryAfter()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_MAX_QUEUE_SIZE"] = "1" });
        host.Worker.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = host.Client();
        var first = ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"first","input_type":"query"}""");
        await WaitUntilAsync(() => !host.Worker.Calls.IsEmpty);

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"second","input_type":"query"}""");
        host.Worker.Gate.SetResult();
        var firstCall = await first;

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.Equal("1", call.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, firstCall.Status);
    }

    [Fact]
    public async Task Embed_TokenizerUnavailable_Is503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        var warm = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");
        host.Tokenizer.FailWith = StatusCode.Unavailable;

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, warm.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.Contains("unavailable", Error(call));
    }

    [Fact]
    public async Task Embed_WorkerUnavailable_Is503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();
        var warm = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");
        host.Worker.FailWith = StatusCode.Unavailable;

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.OK, warm.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
    }

    [Fact]
    public async Task Embed_NoBackendAtStart_Is503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.FailWith = StatusCode.Unavailable;
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.False(string.IsNullOrEmpty(Error(call)));
    }

    [Fact]
    public async Task Embed_RequestTimeout_Is503()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_REQUEST_TIMEOUT_S"] = "0.3" });
        host.Worker.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.Contains("0.3 s", Error(call));
    }

    [Fact]
    public async Task Embed_ClientDisconnects_NoErrorLoggedAndNo5xx()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        host.Tokenizer.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = host.Client();
        using var cts = new CancellationTokenSource();
        using var content = new StringContent("""{"input":"a","input_type":"query"}""", System.Text.Encoding.UTF8, "application/json");
        var pending = client.PostAsync("/v1/embeddings", content, cts.Token);
        await WaitUntilAsync(() => !host.Tokenizer.EncodeCalls.IsEmpty);

        // Act
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(ApiTestHost.Timeout));
        await host.Tokenizer.Cancelled.Task.WaitAsync(ApiTestHost.Timeout);
        await WaitUntilAsync(() => host.Logs.Entries.Any(e => e.Message.Contains("went away")));
        await WaitUntilAsync(() => host.Logs.Entries.Any(e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && e.Message.Contains("Request finished")));

        // Assert (the host also fails the test on any Error log)
        var finished = host.Logs.Entries.Single(e => e.Category.StartsWith("Microsoft.AspNetCore.Hosting", StringComparison.Ordinal) && e.Message.Contains("Request finished"));
        Assert.Contains(" - 499 ", finished.Message);
        Assert.DoesNotContain(host.Logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    internal static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + ApiTestHost.Timeout;
        while (!await condition().WaitAsync(ApiTestHost.Timeout))
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
