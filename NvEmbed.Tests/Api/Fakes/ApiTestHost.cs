using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>
/// The real Api (its own Program) with a fake tokenizer and worker, in memory (TestServer) or on real Kestrel at
/// 127.0.0.1 port 0. Fails the test at disposal when anything was logged at Error level.
/// </summary>
public sealed class ApiTestHost : WebApplicationFactory<ApiOptions>
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _kestrel;
    private readonly bool _fakeBackends;

    public ApiTestHost(IDictionary<string, string?>? settings = null, bool kestrel = false, bool fakeBackends = true)
    {
        _fakeBackends = fakeBackends;
        _settings = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        _kestrel = kestrel;
        if (kestrel)
        {
            // The http endpoint first (BaseAddress), then the grpc endpoint: HTTP/2 only, as the AppHost configures it.
            UseKestrel(o =>
            {
                o.Listen(IPAddress.Loopback, 0);
                o.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            });
        }
    }

    public FakeTokenizer Tokenizer { get; } = new();
    public FakeWorker Worker { get; } = new();
    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>When set, the Api sees this worker instead of <see cref="Worker"/> (e.g. a pool).</summary>
    public IInferenceClient? WorkerOverride { get; init; }

    /// <summary>Set false for a test that expects an Error log.</summary>
    public bool FailOnErrorLogs { get; set; } = true;

    /// <summary>A client with a bounded timeout.</summary>
    public HttpClient Client()
    {
        var client = _kestrel ? new HttpClient { BaseAddress = new Uri(BaseAddress()) } : CreateClient();
        client.Timeout = Timeout;
        return client;
    }

    /// <summary>The real socket's base URL (Kestrel only), e.g. http://127.0.0.1:41234/.</summary>
    public string BaseAddress()
    {
        if (!_kestrel)
        {
            throw new InvalidOperationException("Not a Kestrel host.");
        }

        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First().TrimEnd('/') + "/";
    }

    /// <summary>The HTTP/2-only gRPC listener's address (Kestrel only), e.g. http://127.0.0.1:41235.</summary>
    public Uri GrpcAddress()
    {
        if (!_kestrel)
        {
            throw new InvalidOperationException("Not a Kestrel host.");
        }

        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.ElementAt(1));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Debug);
            // Tests read ASP.NET Core's request lines (e.g. the 499 of a client that went away),
            // which ServiceDefaults keeps at Warning outside NIM_LOG_LEVEL=DEBUG.
            logging.AddFilter("Microsoft.AspNetCore", LogLevel.Debug);
            logging.AddProvider(Logs);
        });
        builder.ConfigureTestServices(services =>
        {
            if (!_fakeBackends)
            {
                return;
            }

            services.RemoveAll<ITokenizerClient>();
            services.RemoveAll<IInferenceClient>();
            services.AddSingleton<ITokenizerClient>(Tokenizer);
            services.AddSingleton(WorkerOverride ?? Worker);
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (FailOnErrorLogs)
        {
            var errors = Logs.Errors.ToList();
            Assert.True(errors.Count == 0, "Logged at Error level:\n" + string.Join("\n", errors));
        }
    }
}
