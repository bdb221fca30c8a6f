using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Registers the Api's backend clients: <see cref="TokenizerClient"/> and <see cref="InferenceClient"/> over every configured
/// replica (<c>services__tokenizer__grpc__0..N</c>, <c>services__inference__grpc__0..N</c>: one address per replica, or a
/// <c>dns:///</c> name), or an <see cref="UnconfiguredBackend"/> when no address is set, so the Api starts and answers 503
/// naming the variable.
/// </summary>
public static class BackendClients
{
    /// <summary>The configuration section of the clients' settings, one subsection per service (<c>tokenizer</c>, <c>inference</c>).</summary>
    public const string SectionName = "ServiceClients";

    /// <summary>Adds <see cref="ITokenizerClient"/> and <see cref="IInferenceClient"/> as singletons (unless a test added its own).</summary>
    public static IServiceCollection AddBackendClients(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var name in (ReadOnlySpan<string>)[TokenizerClient.Name, InferenceClient.Name])
        {
            // The Api's timeouts first, then anything set under ServiceClients:<name> (e.g. ServiceClients__inference__AttemptTimeout).
            services.AddOptions<ServiceClientOptions>(name)
                .Configure<IOptions<ApiOptions>>(static (o, api) => Configure(o, api.Value))
                .BindConfiguration($"{SectionName}:{name}")
                .Validate(static o => o.AttemptTimeout > TimeSpan.Zero && o.CallTimeout > TimeSpan.Zero && o.MetadataTimeout > TimeSpan.Zero,
                    $"{SectionName}: the call, metadata and attempt timeouts must be positive.")
                .ValidateOnStart();
        }

        var tokenizers = ServiceAddresses.FromConfiguration(configuration, TokenizerClient.Name, "grpc");
        if (tokenizers.Count == 0)
        {
            services.TryAddSingleton<ITokenizerClient>(new UnconfiguredBackend("services__tokenizer__grpc__0"));
        }
        else
        {
            services.AddTokenizerClient(tokenizers);
            services.TryAddSingleton<ITokenizerClient>(static sp => sp.GetRequiredService<TokenizerClient>());
        }

        var workers = ServiceAddresses.FromConfiguration(configuration, InferenceClient.Name, "grpc");
        if (workers.Count == 0)
        {
            services.TryAddSingleton<IInferenceClient>(new UnconfiguredBackend("services__inference__grpc__0"));
        }
        else
        {
            services.AddInferenceClient(workers);
            services.TryAddSingleton<IInferenceClient>(static sp => sp.GetRequiredService<InferenceClient>());
        }

        return services;
    }

    /// <summary>
    /// Work calls without a deadline of their own get the request timeout, so a worker drops work nobody waits for;
    /// metadata and health calls get the readiness probe timeout, but at least 5 s so a busy backend is not reported down.
    /// </summary>
    private static void Configure(ServiceClientOptions client, ApiOptions options)
    {
        client.CallTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds);
        client.MetadataTimeout = TimeSpan.FromSeconds(Math.Max(options.ReadinessProbeTimeoutSeconds, 5));
    }
}
