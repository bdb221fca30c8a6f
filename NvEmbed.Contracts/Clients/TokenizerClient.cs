using Microsoft.Extensions.Configuration;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="ITokenizerClient"/> over gRPC (nvembed.tokenizer.v1.Tokenizer): translates between the
/// app's types and the generated messages, and checks the answers' shape so that a broken server
/// surfaces as INTERNAL rather than as an index error deep in the Api.
/// </summary>
public sealed class TokenizerClient : ITokenizerClient, IDisposable
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.tokenizer.v1.Tokenizer";

    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly HealthClient _health;
    private readonly ServiceClientOptions _options;

    /// <summary>A client with its own channel to <paramref name="address"/>.</summary>
    public TokenizerClient(Uri address, ServiceClientOptions? options = null)
        : this(new GrpcChannel(address, options?.Channel), options, ownsChannel: true)
    {
    }

    /// <summary>A client over a shared <paramref name="channel"/> (not disposed with the client).</summary>
    public TokenizerClient(GrpcChannel channel, ServiceClientOptions? options = null)
        : this(channel, options, ownsChannel: false)
    {
    }

    private TokenizerClient(GrpcChannel channel, ServiceClientOptions? options, bool ownsChannel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
        _ownsChannel = ownsChannel;
        _options = options ?? new ServiceClientOptions();
        _health = new HealthClient(channel);
    }

    /// <summary>The tokenizer's address.</summary>
    public Uri Address => _channel.Address;

    /// <summary>
    /// A client of the first tokenizer address in configuration (<c>services__tokenizer__grpc__0</c>);
    /// tokenizer replicas are stateless and equal, so the first one is enough for a caller that is
    /// itself replicated.
    /// </summary>
    public static TokenizerClient FromConfiguration(IConfiguration configuration, ServiceClientOptions? options = null)
    {
        var addresses = ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc");
        return addresses.Count > 0
            ? new TokenizerClient(addresses[0], options)
            : throw new InvalidOperationException("No tokenizer address: set services__tokenizer__grpc__0 (the AppHost does).");
    }

    public async Task<TokenizedBatch> EncodeAsync(
        IReadOnlyList<string> texts,
        TruncationMode truncation,
        int maxTokens,
        bool addSpecialTokens,
        bool returnOffsets,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var request = new EncodeRequest
        {
            Truncation = truncation switch
            {
                TruncationMode.None => Truncation.None,
                TruncationMode.Start => Truncation.Start,
                TruncationMode.End => Truncation.End,
                _ => throw new ArgumentOutOfRangeException(nameof(truncation), truncation, "Unknown truncation mode."),
            },
            MaxTokens = (uint)maxTokens,
            SkipSpecialTokens = !addSpecialTokens,
            ReturnOffsets = returnOffsets,
        };
        foreach (var text in texts)
        {
            request.Texts.Add(text ?? throw new ArgumentException("Texts cannot contain null.", nameof(texts)));
        }

        var response = await _channel.UnaryAsync(ServiceName, "Encode", request, EncodeResponse.Parser,
            _options.CallDeadline(), cancellationToken);
        return ToBatch(response, texts.Count, returnOffsets);
    }

    public async Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var request = new DecodeRequest { SkipSpecialTokens = skipSpecialTokens };
        request.Ids.AddRange(ids);
        var response = await _channel.UnaryAsync(ServiceName, "Decode", request, DecodeResponse.Parser,
            _options.CallDeadline(), cancellationToken);
        return response.Text;
    }

    public async Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await _channel.UnaryAsync(ServiceName, "ModelInfo", new ModelInfoRequest(), TokenizerModelInfo.Parser,
            _options.MetadataDeadline(), cancellationToken);
        var specialTokens = new Dictionary<string, int>(info.SpecialTokens.Count, StringComparer.Ordinal);
        foreach (var token in info.SpecialTokens)
        {
            specialTokens[token.Content] = token.Id;
        }

        return new TokenizerInfo(
            info.ModelFingerprint,
            info.TokenizerFingerprint,
            checked((int)info.VocabSize),
            checked((int)info.MaxTokens),
            specialTokens,
            info.ModelType,
            info.ServedModelName);
    }

    public Task<bool> IsServingAsync(CancellationToken cancellationToken) =>
        _health.IsServingAsync(_options.MetadataDeadline(), cancellationToken);

    public void Dispose()
    {
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }

    private static TokenizedBatch ToBatch(EncodeResponse response, int count, bool returnOffsets)
    {
        var inputIds = new int[response.InputIds.Count];
        response.InputIds.CopyTo(inputIds, 0);
        if (response.CuSeqLengths.Count != count + 1)
        {
            throw Malformed($"{response.CuSeqLengths.Count} cu_seq_lengths for {count} texts (expected {count + 1})");
        }

        var cuSeqLengths = new int[count + 1];
        uint previous = 0;
        for (var i = 0; i <= count; i++)
        {
            var offset = response.CuSeqLengths[i];
            if ((i == 0 && offset != 0) || offset < previous || offset > inputIds.Length)
            {
                throw Malformed($"cu_seq_lengths[{i}] = {offset} is out of order or out of range");
            }

            cuSeqLengths[i] = (int)offset;
            previous = offset;
        }

        if (cuSeqLengths[count] != inputIds.Length)
        {
            throw Malformed($"cu_seq_lengths ends at {cuSeqLengths[count]} but there are {inputIds.Length} ids");
        }

        var errors = response.Errors.Count == 0 ? [] : new TokenizeError[response.Errors.Count];
        for (var i = 0; i < errors.Length; i++)
        {
            var error = response.Errors[i];
            if (error.Index >= count)
            {
                throw Malformed($"an error names input {error.Index} of {count}");
            }

            var kind = error.Kind switch
            {
                InputErrorKind.TooLong => TokenizeErrorKind.TooLong,
                InputErrorKind.TooLarge => TokenizeErrorKind.TooLarge,
                InputErrorKind.Empty => TokenizeErrorKind.Empty,
                _ => throw Malformed($"input {error.Index} has the unknown error kind {error.Kind}"),
            };
            errors[i] = new TokenizeError((int)error.Index, kind, error.Message, checked((int)error.TokenCount), checked((int)error.MaxTokens));
        }

        var offsets = Array.Empty<int>();
        if (returnOffsets)
        {
            if (response.Offsets.Count != 2 * inputIds.Length)
            {
                throw Malformed($"{response.Offsets.Count} offsets for {inputIds.Length} tokens (expected 2 per token)");
            }

            offsets = new int[response.Offsets.Count];
            for (var i = 0; i < offsets.Length; i++)
            {
                offsets[i] = checked((int)response.Offsets[i]);
            }
        }

        return new TokenizedBatch(inputIds, cuSeqLengths, errors, offsets);
    }

    private static GrpcCallException Malformed(string detail) =>
        new(GrpcStatusCode.Internal, $"Malformed Encode response from the tokenizer: {detail}.");
}
