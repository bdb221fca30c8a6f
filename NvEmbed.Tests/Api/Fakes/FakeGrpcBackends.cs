using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>
/// The fake tokenizer and worker served over the real gRPC transport (Kestrel h2c on 127.0.0.1, port 0), so the Api's
/// gRPC adapters and its service-address wiring are exercised end to end.
/// </summary>
public sealed class FakeGrpcBackends : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeGrpcBackends(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public FakeTokenizer Tokenizer { get; } = new();
    public FakeWorker Worker { get; } = new();
    public Uri Address { get; }
    public GrpcHealthService Health => _app.Services.GetRequiredService<GrpcHealthService>();

    public static async Task<FakeGrpcBackends> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpcTransport();
        var app = builder.Build();
        FakeGrpcBackends? self = null;
        app.MapGrpcHealth();
        app.MapGrpcUnary<EncodeRequest, EncodeResponse>("nvembed.tokenizer.v1.Tokenizer", "Encode", (r, c) => self!.EncodeAsync(r, c));
        app.MapGrpcUnary<DecodeRequest, DecodeResponse>("nvembed.tokenizer.v1.Tokenizer", "Decode", async (r, c) =>
            new DecodeResponse { Text = await self!.Tokenizer.DecodeAsync([.. r.Ids], r.SkipSpecialTokens, c.CancellationToken) });
        app.MapGrpcUnary<NvEmbed.Contracts.Tokenizer.V1.ModelInfoRequest, TokenizerModelInfo>("nvembed.tokenizer.v1.Tokenizer", "ModelInfo", async (_, c) =>
        {
            var info = await self!.Tokenizer.GetInfoAsync(c.CancellationToken);
            var reply = new TokenizerModelInfo
            {
                ModelFingerprint = info.ModelFingerprint, TokenizerFingerprint = info.TokenizerFingerprint, VocabSize = (uint)info.VocabSize,
                MaxTokens = (uint)info.MaxTokens, ModelType = info.ModelType, ServedModelName = info.ServedModelName,
            };
            reply.SpecialTokens.AddRange(info.SpecialTokens.Select(p => new SpecialToken { Content = p.Key, Id = p.Value }));
            return reply;
        });
        app.MapGrpcUnary<EmbedRequest, EmbedResponse>("nvembed.inference.v1.Inference", "Embed", (r, c) => self!.EmbedAsync(r, c));
        app.MapGrpcUnary<NvEmbed.Contracts.Inference.V1.ModelInfoRequest, InferenceModelInfo>("nvembed.inference.v1.Inference", "ModelInfo", async (_, c) =>
        {
            var info = await self!.Worker.GetInfoAsync(c.CancellationToken);
            var reply = new InferenceModelInfo
            {
                ModelFingerprint = info.ModelFingerprint, ServedModelName = info.ServedModelName, MaxTokens = (uint)info.MaxTokens,
                Precision = info.Precision, ExecutionProvider = info.ExecutionProvider, MaxBatchTokens = (uint)info.MaxBatchTokens, Description = info.Description,
            };
            reply.Dimensions.AddRange(info.Dimensions.Select(d => (uint)d));
            return reply;
        });
        await app.StartAsync().WaitAsync(ApiTestHost.Timeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new FakeGrpcBackends(app, new Uri(address));
        self.Health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(ApiTestHost.Timeout);
        await _app.DisposeAsync();
    }

    private async Task<EncodeResponse> EncodeAsync(EncodeRequest request, GrpcServerCallContext context)
    {
        var truncation = request.Truncation switch
        {
            Truncation.Start => TruncationMode.Start,
            Truncation.End => TruncationMode.End,
            _ => TruncationMode.None,
        };
        var batch = await Tokenizer.EncodeAsync([.. request.Texts], truncation, (int)request.MaxTokens, !request.SkipSpecialTokens, request.ReturnOffsets, context.CancellationToken);
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

    private async Task<EmbedResponse> EmbedAsync(EmbedRequest request, GrpcServerCallContext context)
    {
        var batch = await Worker.EmbedAsync(request.InputIds.ToArray(), request.CuSeqLengths.Select(c => (int)c).ToArray(),
            (int)request.Dimensions, !request.SkipNormalize, context.CancellationToken);
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
}
