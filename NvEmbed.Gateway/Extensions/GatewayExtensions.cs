using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Gateway.Proxy;
using Yarp.ReverseProxy.Health;

namespace NvEmbed.Gateway.Extensions;

/// <summary>Wires the edge proxy: Api destinations from service discovery, health, API key, body limit, admission limit, errors.</summary>
public static class GatewayExtensions
{
    /// <summary>The clusters of appsettings.json: the Api's HTTP endpoints and its gRPC (KServe) endpoints.</summary>
    private static readonly string[] s_clusters = ["api", "api-grpc"];

    /// <summary>
    /// Adds YARP with the "ReverseProxy" configuration; its destinations <c>http://api</c> and <c>http://_grpc.api</c> are
    /// resolved by service discovery into one destination per Api replica (<c>services__api__http__N</c>,
    /// <c>services__api__grpc__N</c>), and the gateway's policies.
    /// </summary>
    public static WebApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        configuration.AddInMemoryCollection(NimEnvironment(configuration));

        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.MaxRequestBodyBytes > 0 && o.MaxConcurrentRequests > 0, "Gateway limits must be positive.")
            .Validate(o => o.ApiRequestTimeoutSeconds > 0 && o.TimeoutMarginSeconds >= 0, "Gateway timeouts must be positive.")
            .Validate(o => o.MetricsPort is null or (> 0 and < 65536), "Gateway:MetricsPort (NVEMBED_METRICS_PORT) must be a TCP port.")
            .ValidateOnStart();

        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        configuration.AddInMemoryCollection(ProxyTimeouts(options));
        if (!HasKestrelEndpoints(configuration))
        {
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.ListenAnyIP(options.Port);
                k.ListenAnyIP(options.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
                if (options.MetricsPort is { } metricsPort)
                {
                    k.ListenAnyIP(metricsPort, listen => listen.Protocols = HttpProtocols.Http1);
                }
            });
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);

        // NOTE: YARP asks for data protection (its session-affinity cookies, which no cluster here uses). With the default
        // key ring in ~/.aspnet it warned at every start in a container, whose home is read-only, and wrote keys on a
        // developer's machine for nothing; keys in memory serve the cookies just as well.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddServiceDiscoveryDestinationResolver();
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, ConnectFailureHealthPolicy>();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.GetConcurrencyLimiter(
                "all", _ => new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRequests, QueueLimit = 0 }));
            limiter.OnRejected = (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(ProxyErrors.WriteAsync(
                    context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many concurrent requests; retry later.", cancellationToken));
            };
        });
        return builder;
    }

    /// <summary>
    /// Maps the proxy behind the API key, body limit and admission limit, and the metrics port's one route
    /// (<see cref="GatewayOptions.MetricsPort"/>).
    /// </summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (options.MetricsPort is { } metricsPort)
        {
            // Before routing, so the rewritten path is the one routed and forwarded.
            app.Use((context, next) => ServeMetricsPort(context, next, metricsPort));
        }

        app.UseRouting();
        app.Use((context, next) => CheckApiKeyAndSize(context, next, options));
        app.UseRateLimiter();

        // NOTE: a pipeline given to MapReverseProxy replaces YARP's default one, so session affinity, load balancing and
        // passive health must be added back here; without them every request went to a random replica and a dead one
        // was never taken out ("More than one destination available ... Choosing randomly").
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(ProxyErrors.WriteForwarderErrorsAsync);
            proxy.Use(ConnectFailureRetry.InvokeAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }

    // The NIM's metrics port (Triton's) serves GET /metrics only: here the Api's Prometheus text, forwarded like /v1/metrics.
    private static Task ServeMetricsPort(HttpContext context, RequestDelegate next, int metricsPort)
    {
        if (context.Connection.LocalPort != metricsPort)
        {
            return next(context);
        }

        if (!HttpMethods.IsGet(context.Request.Method) || context.Request.Path != "/metrics")
        {
            return ProxyErrors.WriteAsync(context, StatusCodes.Status404NotFound, "The metrics port serves GET /metrics only.", context.RequestAborted);
        }

        context.Request.Path = "/v1/metrics";
        return next(context);
    }

    private static Task CheckApiKeyAndSize(HttpContext context, RequestDelegate next, GatewayOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            var header = context.Request.Headers.Authorization.ToString();
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ||
                !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()),
                    System.Text.Encoding.UTF8.GetBytes(options.ApiKey)))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return ProxyErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "Invalid or missing API key.", context.RequestAborted);
            }
        }

        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            return ProxyErrors.WriteAsync(
                context, StatusCodes.Status413PayloadTooLarge, ProxyErrors.TooLargeMessage(context, context.Request.ContentLength), context.RequestAborted);
        }

        return next(context);
    }

    private static bool HasKestrelEndpoints(IConfiguration configuration) =>
        configuration.GetSection("Kestrel:Endpoints").GetChildren().Any() ||
        !string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) || !string.IsNullOrEmpty(configuration["URLS"]) ||
        !string.IsNullOrEmpty(configuration["HTTP_PORTS"]);

    // The gateway waits longer than the Api (YARP's ActivityTimeout, default 100 s, would otherwise answer 504 first).
    private static Dictionary<string, string?> ProxyTimeouts(GatewayOptions options)
    {
        var timeout = options.ProxyTimeout.ToString("c", CultureInfo.InvariantCulture);
        return s_clusters.ToDictionary(cluster => $"ReverseProxy:Clusters:{cluster}:HttpRequest:ActivityTimeout", _ => (string?)timeout);
    }

    private static Dictionary<string, string?> NimEnvironment(IConfiguration configuration)
    {
        var values = new Dictionary<string, string?>();
        Map("NIM_HTTP_API_PORT", nameof(GatewayOptions.Port));
        Map("NIM_GRPC_API_PORT", nameof(GatewayOptions.GrpcPort));
        Map("NIM_SERVER_HTTP_BODY_LIMIT_BYTES", nameof(GatewayOptions.MaxRequestBodyBytes));
        Map("NIM_SERVER_REQUEST_TIMEOUT_S", nameof(GatewayOptions.ApiRequestTimeoutSeconds));
        Map("NVEMBED_API_KEY", nameof(GatewayOptions.ApiKey));
        Map("NVEMBED_MAX_CONCURRENT_REQUESTS", nameof(GatewayOptions.MaxConcurrentRequests));
        Map("NVEMBED_METRICS_PORT", nameof(GatewayOptions.MetricsPort));
        return values;

        void Map(string variable, string option)
        {
            if (configuration[variable] is { Length: > 0 } value && configuration[$"{GatewayOptions.SectionName}:{option}"] is null)
            {
                values[$"{GatewayOptions.SectionName}:{option}"] = value;
            }
        }
    }
}
