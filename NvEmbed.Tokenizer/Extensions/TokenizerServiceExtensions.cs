using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Hosting;
using NvEmbed.ServiceDefaults;
using NvEmbed.Tokenizer.Grpc;

namespace NvEmbed.Tokenizer.Extensions;

/// <summary>Wires the tokenizer service: options, the loaded tokenizer, the worker pool and the gRPC endpoints.</summary>
public static class TokenizerServiceExtensions
{
    /// <summary>Adds the tokenizer's services. Configuration: <c>NVEMBED_MODEL_DIR</c>, <c>NVEMBED_TOKENIZER_JSON</c> or
    /// <c>--tokenizer</c>, and the <c>Tokenizer</c> section for <see cref="TokenizerServiceOptions"/>.</summary>
    public static IHostApplicationBuilder AddTokenizerServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        builder.Services.AddOptions<TokenizerServiceOptions>()
            .BindConfiguration("Tokenizer")
            .Configure(o =>
            {
                // The environment names of the NIM-style deployment map onto the options here, in one place.
                o.ModelDir ??= configuration["NVEMBED_MODEL_DIR"];
                o.TokenizerJson ??= configuration["tokenizer"] ?? configuration["NVEMBED_TOKENIZER_JSON"];
            })
            .Validate(o => o.Workers >= 1 && o.QueueCapacity >= 1 && o.ChunkSize >= 1 && o.MaxInputChars >= 1, "Tokenizer workers, queue capacity, chunk size and input size limit must be positive.")
            .ValidateOnStart();
        builder.Services.AddNvEmbedGrpcServer(ServiceDefaultsExtensions.ReadyTag, TokenizerGrpcService.ServiceName);
        // The tokenizer loads before the server starts (MapTokenizerGrpc), so once it answers it is ready; grpc.health.v1
        // needs a check to report SERVING rather than UNKNOWN.
        builder.Services.AddHealthChecks().AddCheck("tokenizer", static () => HealthCheckResult.Healthy("loaded"), tags: [ServiceDefaultsExtensions.ReadyTag]);
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<TokenizerServiceOptions>>().Value);
        builder.Services.AddSingleton(sp => LoadedTokenizer.Load(sp.GetRequiredService<TokenizerServiceOptions>()));
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<TokenizerServiceOptions>();
            return new TokenizerWorkerPool(options.Workers, options.QueueCapacity);
        });
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<TokenizerMetrics>();
        builder.Services.AddSingleton<TokenizerGrpcService>();
        return builder;
    }

    /// <summary>Loads the tokenizer (failing start-up with the path and reason when it cannot), then maps
    /// nvembed.tokenizer.v1.Tokenizer and grpc.health.v1 (SERVING once the tokenizer is loaded).</summary>
    public static IEndpointRouteBuilder MapTokenizerGrpc(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ServiceProvider;
        var loaded = services.GetRequiredService<LoadedTokenizer>();
        var pool = services.GetRequiredService<TokenizerWorkerPool>();
        // Created now rather than on the first call, so its metrics (queue depth 0) are there from the start.
        _ = services.GetRequiredService<TokenizerGrpcService>();
        app.MapGrpcService<TokenizerGrpcService>();
        app.MapNvEmbedGrpcHealth();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("NvEmbed.Tokenizer");
        var tokenizer = loaded.Tokenizer;
        Log.Serving(logger, tokenizer.Path, tokenizer.Model.Type, tokenizer.VocabSize, loaded.Settings.MaxTokens, tokenizer.UsesFastPath, loaded.Settings.ServedModelName ?? string.Empty, pool.Workers);
        return app;
    }
}
