using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Creates the Api's backend clients: the shared <see cref="TokenizerClient"/> and <see cref="InferenceClient"/> over every
/// configured replica (<c>services__tokenizer__grpc__0..N</c>, <c>services__inference__grpc__0..N</c>), or an
/// <see cref="UnconfiguredBackend"/> when no address is set, so the Api starts and answers 503 naming the variable.
/// </summary>
public static class BackendClients
{
    /// <summary>The tokenizer client, or an <see cref="UnconfiguredBackend"/> when no tokenizer address is configured.</summary>
    public static ITokenizerClient CreateTokenizer(IConfiguration configuration, ApiOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var addresses = ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc");
        return addresses.Count == 0
            ? new UnconfiguredBackend("services__tokenizer__grpc__0")
            : new TokenizerClient(addresses, ClientOptions(options), loggerFactory.CreateLogger<TokenizerClient>());
    }

    /// <summary>The inference client over every worker, or an <see cref="UnconfiguredBackend"/> when no worker address is configured.</summary>
    public static IInferenceClient CreateInference(IConfiguration configuration, ApiOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var addresses = ServiceAddresses.FromConfiguration(configuration, "inference", "grpc");
        return addresses.Count == 0
            ? new UnconfiguredBackend("services__inference__grpc__0")
            : new InferenceClient(addresses, ClientOptions(options), loggerFactory.CreateLogger<InferenceClient>());
    }

    /// <summary>
    /// Work calls carry the request timeout as their deadline, so a worker drops work nobody waits for; metadata and
    /// health calls get the readiness probe timeout, but at least 5 s so a busy backend is not reported down.
    /// </summary>
    private static ServiceClientOptions ClientOptions(ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ServiceClientOptions
        {
            CallTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
            MetadataTimeout = TimeSpan.FromSeconds(Math.Max(options.ReadinessProbeTimeoutSeconds, 5)),
        };
    }
}
