using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Gateway;

/// <summary>The gateway on real sockets: chunked body limit, timeouts against the Api's, gRPC forwarding, dead replicas.</summary>
public sealed class GatewayKestrelTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly List<WebApplication> _backends = [];

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Returns413Json()
    {
        // Arrange: no Content-Length, so only Kestrel's limit sees the size while YARP streams the body.
        var a = await StartBackendAsync("a");
        await using var gateway = await GatewayTestServer.StartAsync(("services:api:http:0", a), ("Gateway:MaxRequestBodyBytes", "1000"));
        using var client = new HttpClient { BaseAddress = gateway.Http, Timeout = s_timeout };
        using var content = new StreamContent(new MemoryStream(new byte[100_000]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        // Act
        using var response = await client.SendAsync(request);

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("exceeds the limit of 1000 bytes", await ErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ApiSlowerThanGatewayMargin_ApiAnswerWithinItsTimeoutPassesAnd504OnlyBeyond()
    {
        // Arrange: the Api's limit is 1 s (NIM_SERVER_REQUEST_TIMEOUT_S), the gateway's margin 1 s: an answer at 1.5 s
        // (the Api's own 503 at its deadline) must come through; only silence past 2 s is the gateway's 504.
        var slow503 = await StartBackendAsync("a", TimeSpan.FromSeconds(1.5), StatusCodes.Status503ServiceUnavailable);
        var silent = await StartBackendAsync("b", TimeSpan.FromSeconds(4));
        await using var passing = await GatewayTestServer.StartAsync(
            ("services:api:http:0", slow503), ("NIM_SERVER_REQUEST_TIMEOUT_S", "1"), ("Gateway:TimeoutMarginSeconds", "1"));
        await using var cutting = await GatewayTestServer.StartAsync(
            ("services:api:http:0", silent), ("NIM_SERVER_REQUEST_TIMEOUT_S", "1"), ("Gateway:TimeoutMarginSeconds", "1"));
        using var client = new HttpClient { Timeout = s_timeout };

        // Act
        using var passed = await client.PostAsync(new Uri(passing.Http, "/v1/embeddings"), new StringContent("x"));
        using var cut = await client.PostAsync(new Uri(cutting.Http, "/v1/embeddings"), new StringContent("x"));

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, passed.StatusCode);
        Assert.StartsWith("a:", await passed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.GatewayTimeout, cut.StatusCode);
        Assert.Equal("The Api did not answer in time.", await ErrorMessageAsync(cut));
    }

    [Fact]
    public async Task Grpc_OnGrpcPort_ForwardedOverHttp2ToTheApiGrpcEndpoints()
    {
        // Arrange: the Api replica's HTTP and gRPC endpoints are separate servers here, so the answer names the one used.
        var http = await StartBackendAsync("http");
        var grpc = await StartBackendAsync("grpc", http2: true);
        await using var gateway = await GatewayTestServer.StartAsync(("services:api:http:0", http), ("services:api:grpc:0", grpc));
        using var client = gateway.GrpcClient();
        using var request = GatewayTestServer.GrpcRequest("/inference.GRPCInferenceService/ServerLive");

        // Act
        using var response = await client.SendAsync(request);

        // Assert
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {response.Headers} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.StartsWith("grpc:/inference.GRPCInferenceService/ServerLive", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_NoApiReplicaAnswers_TrailersOnlyUnavailable()
    {
        await using var gateway = await GatewayTestServer.StartAsync(("services:api:http:0", "http://127.0.0.1:9"), ("services:api:grpc:0", "http://127.0.0.1:9"));
        using var client = gateway.GrpcClient();
        using var request = GatewayTestServer.GrpcRequest("/inference.GRPCInferenceService/ModelInfer");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("14", response.Headers.GetValues("grpc-status").Single());
    }

    [Fact]
    public async Task Get_MetricsPortSlashMetrics_AnswersTheApisPrometheusRouteAndNothingElse()
    {
        // Arrange: the NIM's metrics port (8002 in the image) as its own Kestrel endpoint, as deploy/kubernetes sets it.
        var a = await StartBackendAsync("a");
        var metricsPort = FreePort.Next();
        await using var gateway = await GatewayTestServer.StartAsync(
            ("services:api:http:0", a),
            ("Kestrel:Endpoints:metrics:Url", $"http://127.0.0.1:{metricsPort}"),
            ("Kestrel:Endpoints:metrics:Protocols", "Http1"),
            ("NVEMBED_METRICS_PORT", metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using var client = new HttpClient { Timeout = s_timeout };
        var metrics = new Uri($"http://127.0.0.1:{metricsPort}");

        // Act
        using var scrape = await client.GetAsync(new Uri(metrics, "/metrics"));
        using var other = await client.GetAsync(new Uri(metrics, "/v1/models"));
        using var post = await client.PostAsync(new Uri(metrics, "/metrics"), new StringContent("x"));
        using var onHttpPort = await client.GetAsync(new Uri(gateway.Http, "/metrics"));

        // Assert: /metrics there is the Api's /v1/metrics; the public HTTP port forwards paths unchanged.
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Equal("a:/v1/metrics", await scrape.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal("The metrics port serves GET /metrics only.", await ErrorMessageAsync(other));
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Equal("a:/metrics", await onHttpPort.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_OneOfTwoApiReplicasDead_EveryRequestServedByTheOther()
    {
        // Arrange: replica 1 refuses connections (nothing listens there).
        var a = await StartBackendAsync("a");
        await using var gateway = await GatewayTestServer.StartAsync(("services:api:http:0", a), ("services:api:http:1", $"http://127.0.0.1:{FreePort.Next()}"));
        using var client = new HttpClient { BaseAddress = gateway.Http, Timeout = s_timeout };

        // Act
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.PostAsync("/v1/embeddings", new StringContent($"body-{i}"));
            statuses.Add(response.StatusCode);
        }

        // Assert: a refused connection is retried on the live replica, and the dead one leaves the rotation.
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    // A real Kestrel server on a loopback port: answers a POST "<name>:<path>:<body length>" after an optional delay, a GET
    // "<name>:<path>".
    private async Task<string> StartBackendAsync(string name, TimeSpan? delay = null, int status = StatusCodes.Status200OK, bool http2 = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var port = FreePort.Next();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = http2 ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (delay is { } wait)
            {
                await Task.Delay(wait);
            }

            context.Response.StatusCode = status;
            await context.Response.WriteAsync($"{name}:{context.Request.Path}:{body.Length}");
        });
        app.MapGet("/v1/health/live", () => "ok");
        app.MapGet("/{**path}", (HttpContext context) => $"{name}:{context.Request.Path}");
        await app.StartAsync().WaitAsync(s_timeout);
        _backends.Add(app);
        return $"http://localhost:{port}";
    }
}
