using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Api.Clients;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

/// <summary>The contract's other routes: models, metadata, health v1/v2, version, license, metrics.</summary>
public sealed class NimRoutesTests
{
    [Fact]
    public async Task Models_OneServedModel_ListsTheWorkersName()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.ServedName = "org/served-model";
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/models");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Equal("list", call.Json.GetProperty("object").GetString());
        var model = Assert.Single(call.Json.GetProperty("data").EnumerateArray());
        Assert.Equal("org/served-model", model.GetProperty("id").GetString());
        Assert.Equal(0, model.GetProperty("created").GetInt64());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("organization-owner", model.GetProperty("owned_by").GetString());
    }

    [Fact]
    public async Task Models_TargetModel_ListsItsOldAndNewNames()
    {
        // Arrange: the worker serves the target model under its old name (the default model's).
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/models");
        var metadata = await ApiCall.GetAsync(client, "/v1/metadata");

        // Assert
        Assert.Equal(["nvidia/llama-3.2-nv-embedqa-1b-v2", "nvidia/llama-nemotron-embed-1b-v2"],
            call.Json.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(2, metadata.Json.GetProperty("modelInfo").GetArrayLength());
    }

    [Theory]
    [InlineData("nvidia/llama-nemotron-embed-1b-v2", HttpStatusCode.OK)]
    [InlineData("nvidia_llama_nemotron_embed_1b_v2", HttpStatusCode.OK)]
    [InlineData("Acme/Embed-Small", HttpStatusCode.OK)]
    [InlineData("ACME_EMBED_SMALL", HttpStatusCode.OK)]
    [InlineData("acme/other", HttpStatusCode.NotFound)]
    public async Task Embed_SeveralServedNames_EitherFormAnyCaseServedOthers404(string model, HttpStatusCode expected)
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?>
        {
            ["NIM_SERVED_MODEL_NAME"] = "nvidia/llama-nemotron-embed-1b-v2,Acme/Embed-Small",
        });
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", $$"""{"input":"a","input_type":"query","model":"{{model}}"}""");

        // Assert
        Assert.Equal(expected, call.Status);
        if (expected == HttpStatusCode.OK)
        {
            Assert.Equal(model, call.Json.GetProperty("model").GetString());
        }
    }

    [Fact]
    public async Task Models_WorkerReplaced_IsNoticedAfterTheRefreshInterval()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["Api:ModelInfoRefreshSeconds"] = "0.05" });
        host.Worker.ServedName = "first";
        using var client = host.Client();
        var before = await ApiCall.GetAsync(client, "/v1/models");
        host.Worker.ServedName = "second";
        host.Worker.Dimensions = [8, 32];

        // Act: the first stale read starts a background refresh; a later one sees its result.
        string? id = null;
        await NimErrorTests.WaitUntilAsync(async () =>
        {
            id = (await ApiCall.GetAsync(client, "/v1/models")).Json.GetProperty("data")[0].GetProperty("id").GetString();
            return id == "second";
        });
        var embed = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query","dimensions":32}""");

        // Assert
        Assert.Equal("first", before.Json.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal("second", id);
        Assert.Equal(HttpStatusCode.OK, embed.Status);
        Assert.Equal(32, embed.Vectors()[0].Length);
    }

    [Fact]
    public async Task ModelRefresh_StartedByARequest_RunsOutsideThatRequestsTrace()
    {
        // Arrange: a cached description that goes stale at once.
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["Api:ModelInfoRefreshSeconds"] = "0.01" });
        var state = host.Services.GetRequiredService<BackendState>();
        await state.GetModelAsync(CancellationToken.None);
        await Task.Delay(50);
        var before = host.Worker.InfoTraces.Count;

        // Act: a request's read finds it stale and starts the background refresh.
        ActivityTraceId requestTrace;
        using (var request = new Activity("request").Start())
        {
            requestTrace = request.TraceId;
            await state.GetModelAsync(CancellationToken.None);
        }

        await NimErrorTests.WaitUntilAsync(() => host.Worker.InfoTraces.Count > before);

        // Assert: the refresh serves every later request, so it must not show up as part of this one's trace.
        Assert.DoesNotContain(requestTrace, host.Worker.InfoTraces.Skip(before));
    }

    [Fact]
    public async Task Metadata_Always_NamesTheModelAndVersion()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["MODEL_VERSION"] = "2.1" });
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/metadata");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var shortName = call.Json.GetProperty("modelInfo")[0].GetProperty("shortName").GetString()!;
        Assert.Equal(host.Worker.ServedName, shortName.Split(':')[0]);
        Assert.Equal("2.1", shortName.Split(':')[1]);
        Assert.False(string.IsNullOrEmpty(call.Json.GetProperty("version").GetString()));
        Assert.Equal(0, call.Json.GetProperty("assetInfo").GetArrayLength());
        Assert.Equal("file", call.Json.GetProperty("licenseInfo").GetProperty("type").GetString());
        Assert.Equal(host.Worker.Fingerprint, call.Json.GetProperty("selectedModelProfileId").GetString());
    }

    [Fact]
    public async Task HealthLive_Always_Is200()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.FailWith = StatusCode.Unavailable;
        using var client = host.Client();

        // Act
        var v1 = await ApiCall.GetAsync(client, "/v1/health/live");
        var v2 = await ApiCall.GetAsync(client, "/v2/health/live");

        // Assert
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        Assert.Equal("health-response", v1.Json.GetProperty("object").GetString());
        Assert.Equal(HttpStatusCode.OK, v2.Status);
        Assert.Empty(v2.Body);
    }

    [Fact]
    public async Task HealthReady_SameFingerprint_Is200()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var v1 = await ApiCall.GetAsync(client, "/v1/health/ready");
        var v2 = await ApiCall.GetAsync(client, "/v2/health/ready");

        // Assert
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        Assert.Equal("""{"object":"health-response","message":"Service is ready."}""", v1.Body);
        Assert.Equal(HttpStatusCode.OK, v2.Status);
        Assert.Empty(v2.Body);
    }

    [Fact]
    public async Task HealthReady_DifferentFingerprints_Is503AndEmbedIs503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.Fingerprint = "another-model";
        using var client = host.Client();

        // Act
        var v1 = await ApiCall.GetAsync(client, "/v1/health/ready");
        var v2 = await ApiCall.GetAsync(client, "/v2/health/ready");
        var embed = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"a","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, v1.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, v2.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, embed.Status);
        Assert.Contains("different models", embed.Json.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task HealthReady_ABackendNotServing_Is503(bool tokenizerServing, bool workerServing)
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Tokenizer.Serving = tokenizerServing;
        host.Worker.Serving = workerServing;
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/health/ready");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
    }

    [Fact]
    public async Task HealthReady_WorkerUnreachable_Is503()
    {
        // Arrange
        await using var host = new ApiTestHost();
        host.Worker.FailWith = StatusCode.Unavailable;
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v2/health/ready");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
    }

    [Fact]
    public async Task Version_Always_AnswersTheRelease()
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/version");

        // Assert
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.Matches(@"^\d+\.\d+", call.Json.GetProperty("release").GetString());
    }

    [Fact]
    public async Task License_ModelDirectoryWithLicense_ServesItWithItsSha()
    {
        // Arrange
        var dir = Directory.CreateTempSubdirectory("nvembed-api-license-");
        try
        {
            var text = "Example model license\nline two\n";
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "LICENSE"), text);
            await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NVEMBED_MODEL_DIR"] = dir.FullName });
            using var client = host.Client();

            // Act
            var call = await ApiCall.GetAsync(client, "/v1/license");

            // Assert
            Assert.Equal(HttpStatusCode.OK, call.Status);
            Assert.Equal(text, call.Json.GetProperty("content").GetString());
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), call.Json.GetProperty("sha").GetString());
            Assert.Equal(Encoding.UTF8.GetByteCount(text), call.Json.GetProperty("size").GetInt64());
            Assert.Equal("file", call.Json.GetProperty("type").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ModelDirectorySettings_CustomPrefixes_AreApplied()
    {
        // Arrange
        var dir = Directory.CreateTempSubdirectory("nvembed-api-settings-");
        try
        {
            new NvEmbed.Contracts.ModelRepository.ModelServingSettings { QueryPrefix = "Q> ", RequiresInputType = false }.Save(dir.FullName);
            await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NVEMBED_MODEL_DIR"] = dir.FullName });
            using var client = host.Client();

            // Act
            var query = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"x","input_type":"query"}""");
            var none = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"y"}""");

            // Assert
            Assert.Equal(HttpStatusCode.OK, query.Status);
            Assert.Equal(HttpStatusCode.OK, none.Status);
            Assert.Equal(["Q> x", "y"], host.Tokenizer.EncodeCalls.Select(c => c.Single()));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Metrics_AfterRequests_CountsThemInPrometheusText()
    {
        // Arrange: the registry is process-wide (other tests run in parallel), so counts are lower bounds.
        await using var host = new ApiTestHost();
        using var client = host.Client();
        await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["ab","cd"],"input_type":"query"}""");
        await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":[]}""");
        var tokens = FakeModel.Tokenize("query: ab").Length * 2;

        // Act
        var v1 = await ApiCall.GetAsync(client, "/v1/metrics");
        var tei = await ApiCall.GetAsync(client, "/metrics");

        // Assert
        Assert.Equal(HttpStatusCode.OK, v1.Status);
        Assert.StartsWith("text/plain", v1.ContentType);
        Assert.True(Value(v1.Body, "nvembed_api_requests_total{route=\"/v1/embeddings\",status=\"200\"}") >= 1);
        Assert.True(Value(v1.Body, "nvembed_api_requests_total{route=\"/v1/embeddings\",status=\"400\"}") >= 1);
        Assert.True(Value(v1.Body, "nvembed_api_inputs_total") >= 2);
        Assert.True(Value(v1.Body, "nvembed_api_tokens_total") >= tokens);
        Assert.Contains("# TYPE nvembed_tokenization_duration_seconds histogram", v1.Body);
        Assert.Equal(HttpStatusCode.OK, tei.Status);
        Assert.Contains("# TYPE nvembed_api_tokens_total counter", tei.Body);
    }

    // The OpenTelemetry exporter labels every series with its meter (otel_scope_name); the series are named without it.
    internal static double Value(string text, string series)
    {
        var line = text.Split('\n')
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, "otel_scope_name=\"[^\"]*\",?", "").Replace("{}", "", StringComparison.Ordinal))
            .FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{series} not found in:\n{text}");
        return double.Parse(line![(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData("GET", "/v1/embedding", HttpStatusCode.NotFound, "Not Found")]
    [InlineData("GET", "/v1/embeddings", HttpStatusCode.MethodNotAllowed, "Method Not Allowed")]
    [InlineData("DELETE", "/v1/models", HttpStatusCode.MethodNotAllowed, "Method Not Allowed")]
    [InlineData("PUT", "/embed", HttpStatusCode.MethodNotAllowed, "Method Not Allowed")]
    public async Task UnknownRouteOrMethod_AnswersFastApisDetailBody(string method, string path, HttpStatusCode expected, string detail)
    {
        // Arrange
        await using var host = new ApiTestHost();
        using var client = host.Client();

        // Act
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        var body = await response.Content.ReadAsStringAsync();

        // Assert: the NIM (FastAPI) answers {"detail": "..."} with JSON, never an empty body.
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(detail, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
        Assert.Equal(expected == HttpStatusCode.MethodNotAllowed, response.Content.Headers.Allow.Count > 0);
    }
}
