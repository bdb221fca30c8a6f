using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Creates the gRPC clients of the tokenizer and the inference workers from the Aspire-style service addresses
/// (<c>services__tokenizer__grpc__0</c>, <c>services__inference__grpc__0..N</c>).
/// </summary>
public static class BackendClients
{
    /// <summary>The addresses of <paramref name="service"/>'s <paramref name="endpoint"/> endpoint, replica 0 first.</summary>
    public static IReadOnlyList<Uri> Addresses(IConfiguration configuration, string service, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var addresses = new List<Uri>();
        for (var i = 0; ; i++)
        {
            var value = configuration[$"services:{service}:{endpoint}:{i}"];
            if (string.IsNullOrWhiteSpace(value))
            {
                break;
            }

            if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri))
            {
                throw new InvalidOperationException($"services__{service}__{endpoint}__{i} = '{value}' is not an absolute URI.");
            }

            addresses.Add(uri);
        }

        return addresses;
    }

    /// <summary>The tokenizer client (replica 0; several tokenizer replicas sit behind one address in Kubernetes).</summary>
    public static ITokenizerClient CreateTokenizer(IConfiguration configuration, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = Addresses(configuration, "tokenizer", "grpc");
        if (addresses.Count == 0)
        {
            return new UnconfiguredBackend("services__tokenizer__grpc__0");
        }

        return new GrpcTokenizerClient(new GrpcChannel(addresses[0]), CallTimeout(options), ProbeTimeout(options));
    }

    /// <summary>The inference client: one worker, or a <see cref="InferenceClientPool"/> over several.</summary>
    public static IInferenceClient CreateInference(IConfiguration configuration, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = Addresses(configuration, "inference", "grpc");
        if (addresses.Count == 0)
        {
            return new UnconfiguredBackend("services__inference__grpc__0");
        }

        var workers = new IInferenceClient[addresses.Count];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = new GrpcInferenceClient(new GrpcChannel(addresses[i]), CallTimeout(options), ProbeTimeout(options));
        }

        return workers.Length == 1 ? workers[0] : new InferenceClientPool(workers);
    }

    private static TimeSpan CallTimeout(ApiOptions options) => TimeSpan.FromSeconds(options.RequestTimeoutSeconds);

    private static TimeSpan ProbeTimeout(ApiOptions options) => TimeSpan.FromSeconds(Math.Max(options.ReadinessProbeTimeoutSeconds, 5));
}
