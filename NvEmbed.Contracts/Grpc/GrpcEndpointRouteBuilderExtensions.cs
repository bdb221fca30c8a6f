using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Health.V1;

namespace NvEmbed.Contracts.Grpc;

/// <summary>Maps gRPC methods onto ASP.NET Core endpoints (POST <c>/package.Service/Method</c>).</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>The full name of the standard health service.</summary>
    public const string HealthServiceName = "grpc.health.v1.Health";

    /// <summary>
    /// Serves the unary method <paramref name="service"/>/<paramref name="method"/> with
    /// <paramref name="handler"/>. A handler fails the call by throwing <see cref="GrpcCallException"/>;
    /// any other exception answers UNKNOWN and is logged. Calls to methods that were not mapped answer
    /// UNIMPLEMENTED.
    /// </summary>
    /// <param name="endpoints">The route builder (the web application).</param>
    /// <param name="service">The full service name, e.g. <c>nvembed.tokenizer.v1.Tokenizer</c>.</param>
    /// <param name="method">The method name, e.g. <c>Encode</c>.</param>
    /// <param name="handler">Answers one request; its context's token fires on client cancellation and on the deadline.</param>
    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        string service,
        string method,
        Func<TRequest, GrpcServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage<TRequest>, new()
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(handler);
        if (service.Contains('/', StringComparison.Ordinal) || method.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"gRPC service and method names cannot contain '/': '{service}', '{method}'.");
        }

        var registry = endpoints.ServiceProvider.GetService<GrpcMethodRegistry>()
            ?? throw new InvalidOperationException("The gRPC transport is not registered: call services.AddGrpcTransport() first.");
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<GrpcTransportOptions>>().Value;
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GrpcUnaryServerCall).FullName!);
        var path = "/" + service + "/" + method;
        var parser = new MessageParser<TRequest>(static () => new TRequest());

        registry.AddMethod(path);
        MapUnimplementedFallback(endpoints, registry, logger);
        return endpoints
            .MapPost(path, (HttpContext http) => GrpcUnaryServerCall.HandleAsync(http, path, parser, handler, options, logger))
            .WithDisplayName("gRPC " + path);
    }

    /// <summary>
    /// Serves grpc.health.v1.Health/Check from the singleton <see cref="GrpcHealthService"/>
    /// (Watch, a streaming method, is not served and answers UNIMPLEMENTED).
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var health = endpoints.ServiceProvider.GetService<GrpcHealthService>()
            ?? throw new InvalidOperationException("The gRPC transport is not registered: call services.AddGrpcTransport() first.");
        return endpoints.MapGrpcUnary<HealthCheckRequest, HealthCheckResponse>(HealthServiceName, "Check", (request, _) =>
        {
            var status = health.GetStatus(request.Service)
                ?? throw new GrpcCallException(GrpcStatusCode.NotFound, $"Unknown service '{request.Service}'.");
            return Task.FromResult(new HealthCheckResponse { Status = status });
        });
    }

    private static void MapUnimplementedFallback(IEndpointRouteBuilder endpoints, GrpcMethodRegistry registry, ILogger logger)
    {
        if (!registry.TryMarkFallback(endpoints))
        {
            return;
        }

        // Any other POST /{service}/{method}: literal routes (the mapped methods, the app's own routes)
        // take precedence over this pattern, and Order pushes it behind every other candidate.
        endpoints
            .MapPost("/{service}/{method}", (HttpContext http) => GrpcUnaryServerCall.UnimplementedAsync(http, logger))
            .WithOrder(int.MaxValue)
            .WithDisplayName("gRPC unimplemented method");
    }
}
