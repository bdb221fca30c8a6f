using System.Net.Http;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Grpc.Net.ClientFactory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using GeneratedInference = NvEmbed.Contracts.Inference.V1.Inference;
using GeneratedTokenizer = NvEmbed.Contracts.Tokenizer.V1.Tokenizer;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Registers <see cref="TokenizerClient"/> and <see cref="InferenceClient"/>: one pair of named grpc-dotnet clients per
/// replica address (the service's generated client and grpc.health.v1's) through <c>Grpc.Net.ClientFactory</c>, whose
/// channels the typed client balances over. Settings: the named <see cref="ServiceClientOptions"/>
/// (<see cref="TokenizerClient.Name"/>, <see cref="InferenceClient.Name"/>).
/// </summary>
public static class ServiceClientRegistration
{
    /// <summary>Adds <see cref="TokenizerClient"/> over the replicas at <paramref name="addresses"/>.</summary>
    public static IServiceCollection AddTokenizerClient(this IServiceCollection services, IReadOnlyList<Uri> addresses)
    {
        AddReplicaClients<GeneratedTokenizer.TokenizerClient>(services, TokenizerClient.Name, addresses);
        services.TryAddSingleton(sp => new TokenizerClient(
            Replicas<GeneratedTokenizer.TokenizerClient>(sp, TokenizerClient.Name, addresses),
            sp.GetRequiredService<IOptionsMonitor<ServiceClientOptions>>().Get(TokenizerClient.Name),
            sp.GetRequiredService<ILogger<TokenizerClient>>()));
        return services;
    }

    /// <summary>Adds <see cref="InferenceClient"/> over the worker replicas at <paramref name="addresses"/>.</summary>
    public static IServiceCollection AddInferenceClient(this IServiceCollection services, IReadOnlyList<Uri> addresses)
    {
        AddReplicaClients<GeneratedInference.InferenceClient>(services, InferenceClient.Name, addresses);
        services.TryAddSingleton(sp => new InferenceClient(
            Replicas<GeneratedInference.InferenceClient>(sp, InferenceClient.Name, addresses),
            sp.GetRequiredService<IOptionsMonitor<ServiceClientOptions>>().Get(InferenceClient.Name),
            sp.GetRequiredService<ILogger<InferenceClient>>()));
        return services;
    }

    private static string ClientName(string service, int index) => $"{service}-{index}";

    private static string HealthClientName(string service, int index) => $"{service}-{index}-health";

    private static void AddReplicaClients<TClient>(IServiceCollection services, string service, IReadOnlyList<Uri> addresses)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(addresses);
        if (addresses.Count == 0)
        {
            throw new ArgumentException($"The {service} client needs at least one address.", nameof(addresses));
        }

        services.AddOptions<ServiceClientOptions>(service);
        for (var i = 0; i < addresses.Count; i++)
        {
            var address = addresses[i];
            Configure(services.AddGrpcClient<TClient>(ClientName(service, i), o => o.Address = address), service, address);
            Configure(services.AddGrpcClient<Health.HealthClient>(HealthClientName(service, i), o => o.Address = address), service, address);
        }
    }

    private static void Configure(IHttpClientBuilder builder, string service, Uri address)
    {
        builder
            // NOTE: HttpClientFactory's logging handlers write four Information lines per call; gRPC calls are logged
            // by grpc-dotnet's own categories instead.
            .RemoveAllLoggers()
            // The client is created once and kept, so its connections live as long as the process.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<ServiceClientOptions>>().Get(service);
                return new SocketsHttpHandler
                {
                    // Kestrel allows 100 streams per connection; the Api sends more calls than that at once under load.
                    EnableMultipleHttp2Connections = true,
                    KeepAlivePingDelay = options.KeepAlivePingDelay,
                    KeepAlivePingTimeout = options.KeepAlivePingTimeout,
                    // Pings only while calls are in flight, so servers that limit idle pings do not close the connection.
                    KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                    ConnectTimeout = options.ConnectTimeout,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                };
            })
            .ConfigureChannel((sp, channel) =>
            {
                var options = sp.GetRequiredService<IOptionsMonitor<ServiceClientOptions>>().Get(service);
                channel.MaxReceiveMessageSize = options.MaxReceiveMessageSize;
                channel.MaxSendMessageSize = null;
                if (ServiceAddresses.IsBalanced(address))
                {
                    // dns:///host:port: every address the name resolves to (a headless Service's pods), re-resolved
                    // when a connection fails, called in turn.
                    channel.Credentials = ChannelCredentials.Insecure;
                    channel.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
                }
            });
    }

    private static ServiceReplica<TClient>[] Replicas<TClient>(IServiceProvider services, string service, IReadOnlyList<Uri> addresses)
        where TClient : class
    {
        var factory = services.GetRequiredService<GrpcClientFactory>();
        var replicas = new ServiceReplica<TClient>[addresses.Count];
        for (var i = 0; i < replicas.Length; i++)
        {
            replicas[i] = new ServiceReplica<TClient>(
                i,
                addresses[i],
                factory.CreateClient<TClient>(ClientName(service, i)),
                factory.CreateClient<Health.HealthClient>(HealthClientName(service, i)));
        }

        return replicas;
    }
}
