using System.Collections.Concurrent;
using System.Net;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.Tests.Contracts;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Extensions;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// The tokenizer service on a real Kestrel (127.0.0.1, port 0, HTTP/2), wired by the service's own
/// AddTokenizerServices/MapTokenizerGrpc, serving a temporary model directory holding the Llama 3 tokenizer.json.
/// </summary>
public sealed class TokenizerTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TokenizerTestServer(WebApplication app, string modelDir, ConcurrentQueue<string> errors)
    {
        _app = app;
        ModelDir = modelDir;
        LoggedErrors = errors;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Address = new Uri(address);
        Channel = GrpcChannel.ForAddress(address);
        Client = new NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerClient(Channel);
    }

    /// <summary>The model directory served.</summary>
    public string ModelDir { get; }

    /// <summary>The server's address, <c>http://127.0.0.1:port</c>.</summary>
    public Uri Address { get; }

    /// <summary>A channel to the server.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>The generated client of the tokenizer service, over <see cref="Channel"/>.</summary>
    public NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerClient Client { get; }

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Errors the server logged.</summary>
    public ConcurrentQueue<string> LoggedErrors { get; }

    /// <summary>Starts a server; <paramref name="settings"/> are extra configuration keys (e.g. "Tokenizer:Workers").</summary>
    public static async Task<TokenizerTestServer> StartAsync(ModelServingSettings servingSettings, IDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(servingSettings);
        var modelDir = Directory.CreateTempSubdirectory("nvembed-tokenizer-model-").FullName;
        File.Copy(RepoPaths.Llama3TokenizerJson, Path.Combine(modelDir, "tokenizer.json"));
        servingSettings.Save(modelDir);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var errors = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new ErrorCollectingLoggerProvider(errors));
        var config = new Dictionary<string, string?> { ["NVEMBED_MODEL_DIR"] = modelDir };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(config);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.AddTokenizerServices();
        var app = builder.Build();
        app.MapTokenizerGrpc();
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new TokenizerTestServer(app, modelDir, errors);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await _app.DisposeAsync();
        Directory.Delete(ModelDir, recursive: true);
    }
}
