using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// A tiny but real tokenizer service for the client tests: one token per UTF-16 code unit (id = its
/// value), BOS id 1 first unless special tokens are skipped, the limit and truncation applied as the
/// proto describes, and offsets per token.
/// </summary>
public sealed class FakeTokenizerService : NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerBase, IGrpcTestService
{
    public const int Bos = 1;
    public const int DefaultMaxTokens = 16;

    private int _calls;
    private volatile TaskCompletionSource _gate = CompletedGate();

    /// <summary>Encode calls this replica received.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Holds Encode calls until <see cref="Release"/>.</summary>
    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public void Register(IServiceCollection services) => services.AddSingleton(this);

    public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<FakeTokenizerService>();

    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        await _gate.Task.WaitAsync(context.CancellationToken);
        return EncodeNow(request);
    }

    public override Task<DecodeResponse> Decode(DecodeRequest request, ServerCallContext context) =>
        Task.FromResult(new DecodeResponse
        {
            Text = string.Concat(request.Ids.Where(id => !(request.SkipSpecialTokens && id == Bos)).Select(id => (char)id)),
        });

    public override Task<TokenizerModelInfo> ModelInfo(ModelInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new TokenizerModelInfo
        {
            ModelFingerprint = "model-fp",
            TokenizerFingerprint = "tokenizer-fp",
            VocabSize = 65536,
            MaxTokens = DefaultMaxTokens,
            SpecialTokens = { new SpecialToken { Content = "<bos>", Id = Bos } },
            ModelType = "BPE",
            ServedModelName = "fake/model",
        });

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource();
        gate.SetResult();
        return gate;
    }

    private static EncodeResponse EncodeNow(EncodeRequest request)
    {
        var max = request.MaxTokens == 0 ? DefaultMaxTokens : (int)request.MaxTokens;
        var response = new EncodeResponse();
        response.CuSeqLengths.Add(0);
        for (var index = 0; index < request.Texts.Count; index++)
        {
            var text = request.Texts[index];
            var tokens = new List<(int Id, int Start, int End)>();
            if (!request.SkipSpecialTokens)
            {
                tokens.Add((Bos, 0, 0));
            }

            for (var i = 0; i < text.Length; i++)
            {
                tokens.Add((text[i], i, i + 1));
            }

            if (text.Length == 0)
            {
                response.Errors.Add(new InputError { Index = (uint)index, Kind = InputErrorKind.Empty, Message = "empty", MaxTokens = (uint)max });
                tokens.Clear();
            }
            else if (tokens.Count > max)
            {
                switch (request.Truncation)
                {
                    case Truncation.End:
                        tokens = tokens.Take(max).ToList();
                        break;
                    case Truncation.Start:
                        var keepBos = !request.SkipSpecialTokens;
                        tokens = (keepBos ? tokens.Take(1) : []).Concat(tokens.TakeLast(keepBos ? max - 1 : max)).ToList();
                        break;
                    default:
                        response.Errors.Add(new InputError
                        {
                            Index = (uint)index,
                            Kind = InputErrorKind.TooLong,
                            Message = $"input {index} has {tokens.Count} tokens",
                            TokenCount = (uint)tokens.Count,
                            MaxTokens = (uint)max,
                        });
                        tokens.Clear();
                        break;
                }
            }

            foreach (var (id, start, end) in tokens)
            {
                response.InputIds.Add(id);
                if (request.ReturnOffsets)
                {
                    response.Offsets.Add((uint)start);
                    response.Offsets.Add((uint)end);
                }
            }

            response.CuSeqLengths.Add((uint)response.InputIds.Count);
        }

        return response;
    }
}
