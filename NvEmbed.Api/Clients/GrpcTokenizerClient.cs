using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Api.Clients;

/// <summary><see cref="ITokenizerClient"/> over the tokenizer service's gRPC API (nvembed.tokenizer.v1), hiding the generated types.</summary>
public sealed class GrpcTokenizerClient : ITokenizerClient, IDisposable
{
    private const string Service = "nvembed.tokenizer.v1.Tokenizer";
    private readonly GrpcChannel _channel;
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _probeTimeout;

    /// <param name="channel">The channel to the tokenizer (owned: disposed with this client).</param>
    /// <param name="callTimeout">Deadline sent with Encode and Decode.</param>
    /// <param name="probeTimeout">Deadline sent with ModelInfo and health checks.</param>
    public GrpcTokenizerClient(GrpcChannel channel, TimeSpan callTimeout, TimeSpan probeTimeout)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _callTimeout = callTimeout;
        _probeTimeout = probeTimeout;
    }

    public async Task<TokenizedBatch> EncodeAsync(
        IReadOnlyList<string> texts, TruncationMode truncation, int maxTokens, bool addSpecialTokens, bool returnOffsets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var request = new EncodeRequest
        {
            Truncation = truncation switch
            {
                TruncationMode.Start => Truncation.Start,
                TruncationMode.End => Truncation.End,
                _ => Truncation.None,
            },
            MaxTokens = (uint)Math.Max(maxTokens, 0),
            SkipSpecialTokens = !addSpecialTokens,
            ReturnOffsets = returnOffsets,
        };
        request.Texts.AddRange(texts);
        var response = await _channel.UnaryAsync(Service, "Encode", request, EncodeResponse.Parser, DateTime.UtcNow + _callTimeout, cancellationToken)
            .ConfigureAwait(false);

        var errors = new TokenizeError[response.Errors.Count];
        for (var i = 0; i < errors.Length; i++)
        {
            var error = response.Errors[i];
            var kind = error.Kind switch
            {
                InputErrorKind.TooLong => TokenizeErrorKind.TooLong,
                InputErrorKind.TooLarge => TokenizeErrorKind.TooLarge,
                InputErrorKind.Empty => TokenizeErrorKind.Empty,
                _ => throw new GrpcCallException(GrpcStatusCode.Internal, $"The tokenizer reported an input error of unknown kind {error.Kind}."),
            };
            errors[i] = new TokenizeError((int)error.Index, kind, error.Message, (int)error.TokenCount, (int)error.MaxTokens);
        }

        return new TokenizedBatch([.. response.InputIds], ToInts(response.CuSeqLengths), errors, ToInts(response.Offsets));
    }

    public async Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var request = new DecodeRequest { SkipSpecialTokens = skipSpecialTokens };
        request.Ids.AddRange(ids);
        var response = await _channel.UnaryAsync(Service, "Decode", request, DecodeResponse.Parser, DateTime.UtcNow + _callTimeout, cancellationToken)
            .ConfigureAwait(false);
        return response.Text;
    }

    public async Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await _channel.UnaryAsync(Service, "ModelInfo", new ModelInfoRequest(), TokenizerModelInfo.Parser, DateTime.UtcNow + _probeTimeout, cancellationToken)
            .ConfigureAwait(false);
        var specials = new Dictionary<string, int>(info.SpecialTokens.Count, StringComparer.Ordinal);
        foreach (var token in info.SpecialTokens)
        {
            specials[token.Content] = token.Id;
        }

        return new TokenizerInfo(info.ModelFingerprint, info.TokenizerFingerprint, (int)info.VocabSize, (int)info.MaxTokens, specials, info.ModelType, info.ServedModelName);
    }

    public Task<bool> IsServingAsync(CancellationToken cancellationToken) => GrpcHealth.IsServingAsync(_channel, _probeTimeout, cancellationToken);

    public void Dispose() => _channel.Dispose();

    private static int[] ToInts(Google.Protobuf.Collections.RepeatedField<uint> values)
    {
        var result = new int[values.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = checked((int)values[i]);
        }

        return result;
    }
}
