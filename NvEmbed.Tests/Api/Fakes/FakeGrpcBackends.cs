using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Hosting;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.ServiceDefaults;
using NvEmbed.Tests.Contracts;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>
/// The fake tokenizer and worker served over gRPC (grpc-dotnet on Kestrel h2c, 127.0.0.1, port 0), so the Api's
/// generated clients, its replica balancing and its service-address wiring are exercised end to end.
/// </summary>
public sealed class FakeGrpcBackends : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGrpcBackends(WebApplication app, Uri address, FakeTokenizer tokenizer, FakeWorker worker, GrpcTestServer.TestReadiness readiness)
    {
        _app = app;
        Address = address;
        Tokenizer = tokenizer;
        Worker = worker;
        Readiness = readiness;
    }

    public FakeTokenizer Tokenizer { get; }
    public FakeWorker Worker { get; }
    public Uri Address { get; }

    /// <summary>The readiness check behind grpc.health.v1 (SERVING while it is healthy).</summary>
    public GrpcTestServer.TestReadiness Readiness { get; }

    public static async Task<FakeGrpcBackends> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var (tokenizer, worker, readiness) = (new FakeTokenizer(), new FakeWorker(), new GrpcTestServer.TestReadiness());
        builder.Services.AddSingleton(tokenizer).AddSingleton(worker);
        builder.Services.AddNvEmbedGrpcServer(ServiceDefaultsExtensions.ReadyTag);
        builder.Services.AddHealthChecks().AddCheck("fake-readiness", readiness, tags: [ServiceDefaultsExtensions.ReadyTag]);
        var app = builder.Build();
        app.MapGrpcService<TokenizerService>();
        app.MapGrpcService<WorkerService>();
        app.MapNvEmbedGrpcHealth();
        await app.StartAsync().WaitAsync(ApiTestHost.Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeGrpcBackends(app, new Uri(address), tokenizer, worker, readiness);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(ApiTestHost.Timeout);
        await _app.DisposeAsync();
    }

    private static DateTime? DeadlineOf(ServerCallContext context) => context.Deadline == DateTime.MaxValue ? null : context.Deadline;

    private sealed class TokenizerService(FakeTokenizer tokenizer) : NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerBase
    {
        public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
        {
            var truncation = request.Truncation switch
            {
                Truncation.Start => TruncationMode.Start,
                Truncation.End => TruncationMode.End,
                _ => TruncationMode.None,
            };
            var batch = await tokenizer.EncodeAsync([.. request.Texts], truncation, (int)request.MaxTokens, !request.SkipSpecialTokens, request.ReturnOffsets,
                DeadlineOf(context), context.CancellationToken);
            var reply = new EncodeResponse();
            reply.InputIds.AddRange(batch.InputIds);
            reply.CuSeqLengths.AddRange(batch.CuSeqLengths.Select(c => (uint)c));
            reply.Offsets.AddRange(batch.Offsets.Select(o => (uint)o));
            reply.Errors.AddRange(batch.Errors.Select(e => new InputError
            {
                Index = (uint)e.Index,
                Kind = e.Kind switch
                {
                    TokenizeErrorKind.TooLong => InputErrorKind.TooLong,
                    TokenizeErrorKind.TooLarge => InputErrorKind.TooLarge,
                    _ => InputErrorKind.Empty,
                },
                Message = e.Message,
                TokenCount = (uint)e.TokenCount,
                MaxTokens = (uint)e.MaxTokens,
            }));
            return reply;
        }

        public override async Task<DecodeResponse> Decode(DecodeRequest request, ServerCallContext context) =>
            new() { Text = await tokenizer.DecodeAsync([.. request.Ids], request.SkipSpecialTokens, DeadlineOf(context), context.CancellationToken) };

        public override async Task<TokenizerModelInfo> ModelInfo(NvEmbed.Contracts.Tokenizer.V1.ModelInfoRequest request, ServerCallContext context)
        {
            var info = await tokenizer.GetInfoAsync(context.CancellationToken);
            var reply = new TokenizerModelInfo
            {
                ModelFingerprint = info.ModelFingerprint, TokenizerFingerprint = info.TokenizerFingerprint, VocabSize = (uint)info.VocabSize,
                MaxTokens = (uint)info.MaxTokens, ModelType = info.ModelType, ServedModelName = info.ServedModelName,
            };
            reply.SpecialTokens.AddRange(info.SpecialTokens.Select(p => new SpecialToken { Content = p.Key, Id = p.Value }));
            return reply;
        }
    }

    private sealed class WorkerService(FakeWorker worker) : Inference.InferenceBase
    {
        public override async Task<EmbedResponse> Embed(EmbedRequest request, ServerCallContext context)
        {
            var batch = await worker.EmbedAsync(request.InputIds.ToArray(), request.CuSeqLengths.Select(c => (int)c).ToArray(),
                (int)request.Dimensions, !request.SkipNormalize, DeadlineOf(context), context.CancellationToken);
            var reply = new EmbedResponse
            {
                Dimensions = (uint)batch.Dimensions,
                QueueMs = batch.QueueTime.TotalMilliseconds,
                InferenceMs = batch.InferenceTime.TotalMilliseconds,
                ComputeTokens = (uint)batch.ComputeTokens,
            };
            reply.Embeddings.AddRange(batch.Vectors.Select(v => ByteString.CopyFrom(v.Span)));
            return reply;
        }

        public override async Task<InferenceModelInfo> ModelInfo(NvEmbed.Contracts.Inference.V1.ModelInfoRequest request, ServerCallContext context)
        {
            var info = await worker.GetInfoAsync(context.CancellationToken);
            var reply = new InferenceModelInfo
            {
                ModelFingerprint = info.ModelFingerprint, ServedModelName = info.ServedModelName, MaxTokens = (uint)info.MaxTokens,
                Precision = info.Precision, ExecutionProvider = info.ExecutionProvider, MaxBatchTokens = (uint)info.MaxBatchTokens, Description = info.Description,
            };
            reply.Dimensions.AddRange(info.Dimensions.Select(d => (uint)d));
            return reply;
        }
    }
}
