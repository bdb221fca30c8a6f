using Microsoft.AspNetCore.Builder;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// A tiny but real tokenizer service for the client tests: one token per UTF-16 code unit (id = its
/// value), BOS id 1 first unless special tokens are skipped, the limit and truncation applied as the
/// proto describes, and offsets per token.
/// </summary>
public static class FakeTokenizerService
{
    public const int Bos = 1;
    public const int DefaultMaxTokens = 16;

    public static void Map(WebApplication app)
    {
        app.MapGrpcUnary<EncodeRequest, EncodeResponse>(TokenizerClient.ServiceName, "Encode", (request, _) => Task.FromResult(Encode(request)));
        app.MapGrpcUnary<DecodeRequest, DecodeResponse>(TokenizerClient.ServiceName, "Decode", (request, _) =>
            Task.FromResult(new DecodeResponse
            {
                Text = string.Concat(request.Ids.Where(id => !(request.SkipSpecialTokens && id == Bos)).Select(id => (char)id)),
            }));
        app.MapGrpcUnary<ModelInfoRequest, TokenizerModelInfo>(TokenizerClient.ServiceName, "ModelInfo", (_, _) =>
            Task.FromResult(new TokenizerModelInfo
            {
                ModelFingerprint = "model-fp",
                TokenizerFingerprint = "tokenizer-fp",
                VocabSize = 65536,
                MaxTokens = DefaultMaxTokens,
                SpecialTokens = { new SpecialToken { Content = "<bos>", Id = Bos } },
                ModelType = "BPE",
                ServedModelName = "fake/model",
            }));
    }

    private static EncodeResponse Encode(EncodeRequest request)
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
