using NvEmbed.Contracts.Clients;

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

    /// <summary>The tokenizer client.</summary>
    public static ITokenizerClient CreateTokenizer(IConfiguration configuration)
    {
        var addresses = Addresses(configuration, "tokenizer", "grpc");
        if (addresses.Count == 0)
        {
            throw new InvalidOperationException("No tokenizer address: set services__tokenizer__grpc__0 (the AppHost does).");
        }

        throw new NotSupportedException("The gRPC tokenizer client is not wired yet.");
    }

    /// <summary>The inference client: one worker, or a <see cref="InferenceClientPool"/> over several.</summary>
    public static IInferenceClient CreateInference(IConfiguration configuration)
    {
        var addresses = Addresses(configuration, "inference", "grpc");
        if (addresses.Count == 0)
        {
            throw new InvalidOperationException("No inference worker address: set services__inference__grpc__0 (the AppHost does).");
        }

        throw new NotSupportedException("The gRPC inference client is not wired yet.");
    }
}
