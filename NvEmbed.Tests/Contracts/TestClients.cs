using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Contracts;

/// <summary>A typed client built the way the Api builds it (Grpc.Net.ClientFactory), with the container that owns its channels.</summary>
public sealed class TestClients<TClient>(ServiceProvider provider, TClient client) : IDisposable
    where TClient : notnull
{
    public TClient Client { get; } = client;

    public void Dispose() => provider.Dispose();
}

/// <summary>Builds <see cref="TokenizerClient"/> and <see cref="InferenceClient"/> over test servers.</summary>
public static class TestClients
{
    public static TestClients<TokenizerClient> Tokenizer(IReadOnlyList<Uri> addresses, Action<ServiceClientOptions>? configure = null) =>
        Build<TokenizerClient>(TokenizerClient.Name, configure, services => services.AddTokenizerClient(addresses));

    public static TestClients<InferenceClient> Inference(IReadOnlyList<Uri> addresses, Action<ServiceClientOptions>? configure = null) =>
        Build<InferenceClient>(InferenceClient.Name, configure, services => services.AddInferenceClient(addresses));

    private static TestClients<TClient> Build<TClient>(string name, Action<ServiceClientOptions>? configure, Action<IServiceCollection> add)
        where TClient : notnull
    {
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<ServiceClientOptions>(name).Configure(o => configure?.Invoke(o));
        add(services);
        var provider = services.BuildServiceProvider();
        return new TestClients<TClient>(provider, provider.GetRequiredService<TClient>());
    }
}
