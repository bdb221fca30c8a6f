using Grpc.Core;
using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Tokenizer.V1;
using GeneratedTokenizer = NvEmbed.Contracts.Tokenizer.V1.Tokenizer;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// <see cref="ITokenizerClient"/> over grpc-dotnet's generated client of nvembed.tokenizer.v1.Tokenizer: translates
/// between the app's types and the generated messages, and checks the answers' shape so that a broken server surfaces
/// as INTERNAL rather than as an index error deep in the Api. Calls are balanced over the replicas per call, with
/// fail-over (<see cref="ReplicaSet{TClient}"/>). Register it with
/// <see cref="ServiceClientRegistration.AddTokenizerClient"/>.
/// </summary>
public sealed class TokenizerClient : ITokenizerClient
{
    /// <summary>The service's name in configuration (<c>services__tokenizer__grpc__i</c>) and of its options.</summary>
    public const string Name = "tokenizer";

    /// <summary>The full gRPC service name.</summary>
    public const string ServiceName = "nvembed.tokenizer.v1.Tokenizer";

    private readonly ReplicaSet<GeneratedTokenizer.TokenizerClient> _replicas;
    private readonly ServiceClientOptions _options;

    internal TokenizerClient(IReadOnlyList<ServiceReplica<GeneratedTokenizer.TokenizerClient>> replicas, ServiceClientOptions options, ILogger<TokenizerClient> logger)
    {
        _options = options;
        _replicas = new ReplicaSet<GeneratedTokenizer.TokenizerClient>(Name, replicas, options, logger);
    }

    /// <summary>The replicas' addresses, in configuration order.</summary>
    public IReadOnlyList<Uri> Addresses => _replicas.Addresses;

    public async Task<TokenizedBatch> EncodeAsync(
        IReadOnlyList<string> texts,
        TruncationMode truncation,
        int maxTokens,
        bool addSpecialTokens,
        bool returnOffsets,
        DateTime? deadline,
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
        long characters = 0;
        foreach (var text in texts)
        {
            request.Texts.Add(text ?? throw new ArgumentException("Texts cannot contain null.", nameof(texts)));
            characters += text.Length;
        }

        // About 4 characters per token: the attempt gets the time of the tokens the texts will make.
        var response = await _replicas.CallAsync(
            (client, options) => client.EncodeAsync(request, options),
            CallDeadline(deadline), _options.AttemptFor(characters / 4), cancellationToken).ConfigureAwait(false);
        return ToBatch(response, texts.Count, returnOffsets);
    }

    public async Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var request = new DecodeRequest { SkipSpecialTokens = skipSpecialTokens };
        request.Ids.AddRange(ids);
        var response = await _replicas.CallAsync(
            (client, options) => client.DecodeAsync(request, options),
            CallDeadline(deadline), _options.AttemptFor(ids.Count), cancellationToken).ConfigureAwait(false);
        return response.Text;
    }

    public async Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        var info = await _replicas.CallAsync(
            static (client, options) => client.ModelInfoAsync(new ModelInfoRequest(), options),
            DateTime.UtcNow + _options.MetadataTimeout, _options.AttemptTimeout, cancellationToken).ConfigureAwait(false);
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

    private DateTime CallDeadline(DateTime? deadline) => deadline ?? DateTime.UtcNow + _options.CallTimeout;

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

    private static RpcException Malformed(string detail) =>
        new(new Status(StatusCode.Internal, $"Malformed Encode response from the tokenizer: {detail}."));
}
