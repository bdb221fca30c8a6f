using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace NvEmbed.Gateway.Extensions;

/// <summary>Wires the edge proxy: Api destinations, API key, body limit, admission limit and JSON errors.</summary>
public static class GatewayExtensions
{
    /// <summary>Adds YARP with the Api replicas found in <c>services__api__http__N</c>, and the gateway's policies.</summary>
    public static WebApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        configuration.AddInMemoryCollection(NimEnvironment(configuration));
        configuration.AddInMemoryCollection(ApiDestinations(configuration));

        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .Validate(o => o.MaxRequestBodyBytes > 0 && o.MaxConcurrentRequests > 0, "Gateway limits must be positive.")
            .ValidateOnStart();

        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        if (!HasKestrelEndpoints(configuration))
        {
            builder.WebHost.ConfigureKestrel(k => k.ListenAnyIP(options.Port));
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.AddReverseProxy().LoadFromConfig(configuration.GetSection("ReverseProxy"));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(_ => RateLimitPartition.GetConcurrencyLimiter(
                "all", _ => new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrentRequests, QueueLimit = 0 }));
            limiter.OnRejected = (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(WriteErrorAsync(
                    context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many concurrent requests; retry later.", cancellationToken));
            };
        });
        return builder;
    }

    /// <summary>Maps the health route of the gateway itself and the proxy.</summary>
    public static WebApplication MapGateway(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        app.Use((context, next) => CheckApiKeyAndSize(context, next, options));
        app.UseRateLimiter();
        app.MapReverseProxy(proxy => proxy.Use(WriteProxyErrorsAsJson));
        return app;
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
                return WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Invalid or missing API key.", context.RequestAborted);
            }
        }

        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            return WriteErrorAsync(
                context,
                StatusCodes.Status413PayloadTooLarge,
                $"Request body of {context.Request.ContentLength} bytes exceeds the limit of {options.MaxRequestBodyBytes} bytes.",
                context.RequestAborted);
        }

        return next(context);
    }

    // YARP answers a failed forward with a bare status (502/503/504); clients of an embedding API
    // expect a JSON body they can show.
    private static async Task WriteProxyErrorsAsJson(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.GetForwarderErrorFeature();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        var (status, message) = error.Error switch
        {
            ForwarderError.NoAvailableDestinations => (StatusCodes.Status503ServiceUnavailable, "No Api replica is available."),
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout, "The Api did not answer in time."),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => (499, "The client closed the request."),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest, "The request body could not be read."),
            _ => (StatusCodes.Status502BadGateway, "The Api replica failed to answer."),
        };
        if (status != 499)
        {
            await WriteErrorAsync(context, status, message, CancellationToken.None);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }), cancellationToken);
    }

    private static bool HasKestrelEndpoints(IConfiguration configuration) =>
        configuration.GetSection("Kestrel:Endpoints").GetChildren().Any() ||
        !string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]) || !string.IsNullOrEmpty(configuration["URLS"]) ||
        !string.IsNullOrEmpty(configuration["HTTP_PORTS"]);

    private static Dictionary<string, string?> NimEnvironment(IConfiguration configuration)
    {
        var values = new Dictionary<string, string?>();
        Map("NIM_HTTP_API_PORT", nameof(GatewayOptions.Port));
        Map("NIM_SERVER_HTTP_BODY_LIMIT_BYTES", nameof(GatewayOptions.MaxRequestBodyBytes));
        Map("NVEMBED_API_KEY", nameof(GatewayOptions.ApiKey));
        Map("NVEMBED_MAX_CONCURRENT_REQUESTS", nameof(GatewayOptions.MaxConcurrentRequests));
        return values;

        void Map(string variable, string option)
        {
            if (configuration[variable] is { Length: > 0 } value)
            {
                values[$"{GatewayOptions.SectionName}:{option}"] = value;
            }
        }
    }

    // Aspire's convention: services__api__http__0, services__api__http__1, ... one per Api replica.
    private static Dictionary<string, string?> ApiDestinations(IConfiguration configuration)
    {
        var destinations = new Dictionary<string, string?>();
        foreach (var replica in configuration.GetSection("services:api:http").GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(replica.Value))
            {
                destinations[$"ReverseProxy:Clusters:api:Destinations:api-{replica.Key}:Address"] = replica.Value;
            }
        }

        return destinations;
    }
}
