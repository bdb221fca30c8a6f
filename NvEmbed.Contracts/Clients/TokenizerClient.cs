using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="ITokenizerClient"/> over gRPC (nvembed.tokenizer.v1.Tokenizer): translates between the
/// app's types and the generated messages, and checks the answers' shape so that a broken server
/// surfaces as INTERNAL rather than as an index error deep in the Api. Given several replicas it
/// balances them as <see cref="InferenceClient"/> does (fewest calls in flight, UNAVAILABLE back-off).
/// </summary>
public sealed class TokenizerClient : ITokenizerClient, IDisposable
{
    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.tokenizer.v1.Tokenizer";

    private readonly ReplicaSet _replicas;
    private readonly ServiceClientOptions _options;

    /// <summary>A client of the tokenizer replicas at <paramref name="addresses"/> (one channel each).</summary>
    public TokenizerClient(IReadOnlyList<Uri> addresses, ServiceClientOptions? options = null, ILogger<TokenizerClient>? logger = null)
    {
        _options = options ?? new ServiceClientOptions();
        _replicas = new ReplicaSet(addresses, _options, (ILogger?)logger ?? NullLogger.Instance);
    }

    /// <summary>A client with its own channel to <paramref name="address"/>.</summary>
    public TokenizerClient(Uri address, ServiceClientOptions? options = null, ILogger<TokenizerClient>? logger = null)
        : this([address], options, logger)
    {
    }

    /// <summary>A client over a shared <paramref name="channel"/> (not disposed with the client).</summary>
    public TokenizerClient(GrpcChannel channel, ServiceClientOptions? options = null)
    {
        _options = options ?? new ServiceClientOptions();
        _replicas = new ReplicaSet(channel, _options, NullLogger.Instance);
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<Uri> Addresses => _replicas.Addresses;

    /// <summary>A client of every tokenizer in configuration (<c>services__tokenizer__grpc__0..N</c>).</summary>
    public static TokenizerClient FromConfiguration(IConfiguration configuration, ServiceClientOptions? options = null, ILogger<TokenizerClient>? logger = null)
    {
        var addresses = ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc");
        return addresses.Count > 0
            ? new TokenizerClient(addresses, options, logger)
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

        var deadline = _options.CallDeadline();
        var response = await _replicas.CallAsync(channel =>
            channel.UnaryAsync(ServiceName, "Encode", request, EncodeResponse.Parser, deadline, cancellationToken));
        return ToBatch(response, texts.Count, returnOffsets);
    }

    public async Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var request = new DecodeRequest { SkipSpecialTokens = skipSpecialTokens };
        request.Ids.AddRange(ids);
        var deadline = _options.CallDeadline();
        var response = await _replicas.CallAsync(channel =>
            channel.UnaryAsync(ServiceName, "Decode", request, DecodeResponse.Parser, deadline, cancellationToken));
        return response.Text;
    }

    public async Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var deadline = _options.MetadataDeadline();
        var info = await _replicas.CallAsync(channel =>
            channel.UnaryAsync(ServiceName, "ModelInfo", new ModelInfoRequest(), TokenizerModelInfo.Parser, deadline, cancellationToken));
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

    /// <summary>True when at least one replica answers its health check with SERVING.</summary>
    public Task<bool> IsServingAsync(CancellationToken cancellationToken) => _replicas.AnyServingAsync(cancellationToken);

    public void Dispose() => _replicas.Dispose();

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
