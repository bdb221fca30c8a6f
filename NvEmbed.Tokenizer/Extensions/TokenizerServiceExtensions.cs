using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Contracts.Tokenizer.V1;
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
        builder.Services.AddGrpcTransport();
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

    /// <summary>Loads the tokenizer (failing start-up with the path and reason when it cannot), maps Encode, Decode,
    /// ModelInfo and grpc.health.v1, and reports SERVING.</summary>
    public static IEndpointRouteBuilder MapTokenizerGrpc(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var services = app.ServiceProvider;
        var loaded = services.GetRequiredService<LoadedTokenizer>();
        var pool = services.GetRequiredService<TokenizerWorkerPool>();
        var service = services.GetRequiredService<TokenizerGrpcService>();
        app.MapGrpcUnary<EncodeRequest, EncodeResponse>(TokenizerGrpcService.ServiceName, "Encode", service.EncodeAsync);
        app.MapGrpcUnary<DecodeRequest, DecodeResponse>(TokenizerGrpcService.ServiceName, "Decode", service.DecodeAsync);
        app.MapGrpcUnary<ModelInfoRequest, TokenizerModelInfo>(TokenizerGrpcService.ServiceName, "ModelInfo", service.ModelInfoAsync);
        app.MapGrpcHealth();

        var health = services.GetRequiredService<GrpcHealthService>();
        health.SetStatus(string.Empty, HealthCheckResponse.Types.ServingStatus.Serving);
        health.SetStatus(TokenizerGrpcService.ServiceName, HealthCheckResponse.Types.ServingStatus.Serving);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("NvEmbed.Tokenizer");
        var tokenizer = loaded.Tokenizer;
        Log.Serving(logger, tokenizer.Path, tokenizer.Model.Type, tokenizer.VocabSize, loaded.Settings.MaxTokens, tokenizer.UsesFastPath, loaded.Settings.ServedModelName ?? string.Empty, pool.Workers);
        return app;
    }
}
