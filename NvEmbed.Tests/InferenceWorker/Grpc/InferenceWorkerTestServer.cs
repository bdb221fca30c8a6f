using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.InferenceWorker.Batching;
using NvEmbed.InferenceWorker.Extensions;
using NvEmbed.InferenceWorker.Grpc;
using NvEmbed.Tests.Contracts;

namespace NvEmbed.Tests.InferenceWorker.Grpc;

/// <summary>
/// The inference worker's services and endpoints, wired by the worker's own extension methods, on a
/// real Kestrel (127.0.0.1, port 0, HTTP/2), with the model loader replaced; and a gRPC channel to it.
/// </summary>
public sealed class InferenceWorkerTestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly WebApplication _app;

    private InferenceWorkerTestServer(WebApplication app, Uri address, ConcurrentQueue<string> errors)
    {
        _app = app;
        LoggedErrors = errors;
        Channel = new GrpcChannel(address);
    }

    public GrpcChannel Channel { get; }

    public ConcurrentQueue<string> LoggedErrors { get; }

    public InferenceRuntime Runtime => _app.Services.GetRequiredService<InferenceRuntime>();

    /// <summary>The worker's bound options.</summary>
    public InferenceWorkerOptions Options => _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<InferenceWorkerOptions>>().Value;

    /// <summary>The scheduler options as bound at start.</summary>
    public NvEmbed.InferenceWorker.Batching.SchedulerOptions SchedulerOptions =>
        _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<NvEmbed.InferenceWorker.Batching.SchedulerOptions>>().Value;

    /// <summary>The worker's meter factory (to listen to its metrics only).</summary>
    public System.Diagnostics.Metrics.IMeterFactory MeterFactory => _app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();

    /// <summary>Starts the worker; with <paramref name="loader"/> null, the worker's own ONNX loader opens the configured model.</summary>
    public static async Task<InferenceWorkerTestServer> StartAsync(IModelLoader? loader, IDictionary<string, string?>? configuration = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var errors = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new ErrorCollectingLoggerProvider(errors));
        builder.Configuration.AddInMemoryCollection(configuration ?? new Dictionary<string, string?>());
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        if (loader is not null)
        {
            builder.Services.AddSingleton(loader);
        }

        builder.AddInferenceWorkerServices();
        var app = builder.Build();
        app.MapInferenceWorker();
        try
        {
            await app.StartAsync().WaitAsync(Timeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new InferenceWorkerTestServer(app, new Uri(address), errors);
    }

    public Task<EmbedResponse> EmbedAsync(IReadOnlyList<int[]> sequences, uint dimensions = 0, bool skipNormalize = false, DateTime? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new EmbedRequest { Dimensions = dimensions, SkipNormalize = skipNormalize };
        request.CuSeqLengths.Add(0);
        foreach (var sequence in sequences)
        {
            request.InputIds.Add(sequence);
            request.CuSeqLengths.Add((uint)request.InputIds.Count);
        }

        return Channel.UnaryAsync(InferenceGrpcService.ServiceName, "Embed", request, EmbedResponse.Parser, deadline ?? DateTime.UtcNow + Timeout, cancellationToken);
    }

    public Task<InferenceModelInfo> ModelInfoAsync() =>
        Channel.UnaryAsync(InferenceGrpcService.ServiceName, "ModelInfo", new ModelInfoRequest(), InferenceModelInfo.Parser, DateTime.UtcNow + Timeout);

    public async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(string service = "")
    {
        var response = await Channel.UnaryAsync(NvEmbed.Contracts.Grpc.GrpcEndpointRouteBuilderExtensions.HealthServiceName, "Check", new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser, DateTime.UtcNow + Timeout);
        return response.Status;
    }

    public async Task WaitServingAsync()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (await HealthAsync() != HealthCheckResponse.Types.ServingStatus.Serving)
        {
            Assert.True(DateTime.UtcNow < deadline, "the worker did not report SERVING in time");
            await Task.Delay(10);
        }
    }

    public static float[] Decode(ByteString bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.Span[(i * 4)..]);
        }

        return values;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync().WaitAsync(Timeout);
        await _app.DisposeAsync();
    }
}
