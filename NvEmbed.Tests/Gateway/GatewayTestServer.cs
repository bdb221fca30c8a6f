using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using NvEmbed.Gateway.Extensions;
using NvEmbed.ServiceDefaults;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Gateway;

/// <summary>
/// The gateway on real Kestrel (loopback, free ports), composed as its Program.cs does, with its appsettings.json: for
/// what TestServer does not do (Kestrel's body limit, HTTP/2 cleartext, timeouts on real sockets).
/// </summary>
public sealed class GatewayTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayTestServer(WebApplication app, Uri http, Uri grpc)
    {
        _app = app;
        Http = http;
        Grpc = grpc;
    }

    /// <summary>The HTTP/1.1 endpoint (NIM_HTTP_API_PORT's role).</summary>
    public Uri Http { get; }

    /// <summary>The HTTP/2 cleartext endpoint (NIM_GRPC_API_PORT's role).</summary>
    public Uri Grpc { get; }

    /// <summary>Starts a gateway with <paramref name="settings"/> added to its configuration.</summary>
    public static async Task<GatewayTestServer> StartAsync(params (string Key, string Value)[] settings)
    {
        var http = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var grpc = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddJsonFile(Path.Combine(RepoPaths.Root, "NvEmbed.Gateway", "appsettings.json"), optional: false);
        var values = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:http:Url"] = http.ToString(),
            ["Kestrel:Endpoints:http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:grpc:Url"] = grpc.ToString(),
            ["Kestrel:Endpoints:grpc:Protocols"] = "Http2",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(values);
        builder.AddServiceDefaults();
        builder.AddGatewayServices();
        var app = builder.Build();
        app.MapDefaultEndpoints("/gateway");
        app.MapGateway();
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new GatewayTestServer(app, http, grpc);
    }

    /// <summary>An HTTP/2 (prior knowledge) client for <see cref="Grpc"/>.</summary>
    public HttpClient GrpcClient() => new()
    {
        BaseAddress = Grpc,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A unary gRPC request (an empty message) as a gRPC client sends it: HTTP/2, application/grpc.</summary>
    public static HttpRequestMessage GrpcRequest(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
