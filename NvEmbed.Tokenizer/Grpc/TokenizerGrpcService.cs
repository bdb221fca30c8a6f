using Grpc.Core;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.Tokenizer.Tokenization;
using TokenizerBase = NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerBase;

namespace NvEmbed.Tokenizer.Grpc;

/// <summary>
/// The <c>nvembed.tokenizer.v1.Tokenizer</c> service (grpc-dotnet): Encode, Decode and ModelInfo. A singleton: the
/// loaded tokenizer and the worker pool are shared by every call.
/// </summary>
public sealed class TokenizerGrpcService(LoadedTokenizer loaded, TokenizerWorkerPool pool, TokenizerMetrics metrics, TokenizerServiceOptions options, ILogger<TokenizerGrpcService> logger)
    : TokenizerBase
{
    /// <summary>The gRPC service name.</summary>
    public const string ServiceName = "nvembed.tokenizer.v1.Tokenizer";

    [ThreadStatic]
    private static TokenBuffer? t_buffer;

    /// <summary>Encode: every text on the worker pool, then one flat response in input order.</summary>
    public override async Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var count = request.Texts.Count;
        var maxTokens = request.MaxTokens == 0 ? loaded.Settings.MaxTokens : (int)Math.Min(request.MaxTokens, int.MaxValue);
        var settings = new EncodeSettings(
            !request.SkipSpecialTokens,
            maxTokens,
            request.Truncation switch
            {
                Truncation.Start => TruncationMode.Start,
                Truncation.End => TruncationMode.End,
                _ => TruncationMode.None,
            },
            request.ReturnOffsets);

        var results = new Result[count];
        var chunkSize = Math.Max(options.ChunkSize, 1);
        var work = new List<Action>((count + chunkSize - 1) / chunkSize);
        for (var start = 0; start < count; start += chunkSize)
        {
            var from = start;
            var to = Math.Min(count, start + chunkSize);
            work.Add(() =>
            {
                for (var i = from; i < to; i++)
                {
                    results[i] = EncodeOne(request.Texts[i], settings);
                }
            });
        }

        if (work.Count > 0)
        {
            var running = pool.TryRunAll(work, context.CancellationToken);
            if (running is null)
            {
                Log.QueueFull(logger, count, pool.Queued);
                metrics.Rejected(count);
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The tokenizer is overloaded ({pool.Queued} work items queued); retry later or on another replica."));
            }

            await running.ConfigureAwait(false);
        }

        for (var i = 0; i < count; i++)
        {
            if (results[i].Unencodable is { } reason)
            {
                // NOTE: the protocol has no per-input kind for a text the tokenizer refuses (as Hugging Face does, e.g. an
                // unknown character with no unknown token), so the call fails with the input named; other calls go on.
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Input {i} cannot be tokenized: {reason}"));
            }
        }

        var response = new EncodeResponse();
        response.CuSeqLengths.Add(0);
        for (var i = 0; i < count; i++)
        {
            var result = results[i];
            if (result.ErrorKind is { } kind)
            {
                response.Errors.Add(new InputError
                {
                    Index = (uint)i,
                    Kind = kind,
                    Message = result.ErrorMessage,
                    TokenCount = (uint)result.TokenCount,
                    MaxTokens = (uint)maxTokens,
                });
            }
            else
            {
                response.InputIds.Add(result.Ids);
                if (request.ReturnOffsets)
                {
                    foreach (var offset in result.Offsets!)
                    {
                        response.Offsets.Add((uint)offset);
                    }
                }
            }

            response.CuSeqLengths.Add((uint)response.InputIds.Count);
        }

        metrics.Encoded(count, response.InputIds.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        return response;
    }

    /// <summary>Decode: ids back to text.</summary>
    public override Task<DecodeResponse> Decode(DecodeRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ids = new int[request.Ids.Count];
        request.Ids.CopyTo(ids, 0);
        return Task.FromResult(new DecodeResponse { Text = loaded.Tokenizer.Decode(ids, request.SkipSpecialTokens) });
    }

    /// <summary>ModelInfo: fingerprints, vocabulary and special tokens.</summary>
    public override Task<TokenizerModelInfo> ModelInfo(ModelInfoRequest request, ServerCallContext context)
    {
        var tokenizer = loaded.Tokenizer;
        var info = new TokenizerModelInfo
        {
            ModelFingerprint = loaded.ModelFingerprint,
            TokenizerFingerprint = tokenizer.Fingerprint,
            VocabSize = (uint)tokenizer.VocabSize,
            MaxTokens = (uint)loaded.Settings.MaxTokens,
            ModelType = tokenizer.Model.Type,
            ServedModelName = loaded.Settings.ServedModelName ?? string.Empty,
        };
        foreach (var token in tokenizer.AddedTokens.Tokens)
        {
            if (token.Special)
            {
                info.SpecialTokens.Add(new SpecialToken { Content = token.Content, Id = token.Id });
            }
        }

        return Task.FromResult(info);
    }

    private Result EncodeOne(string text, EncodeSettings settings)
    {
        if (text.Length == 0)
        {
            return Result.Error(InputErrorKind.Empty, "Input text is empty.", 0);
        }

        if (text.Length > options.MaxInputChars)
        {
            return Result.Error(InputErrorKind.TooLarge, $"Input of {text.Length} characters exceeds the limit of {options.MaxInputChars} characters per input.", 0);
        }

        var buffer = t_buffer ??= new TokenBuffer(8192);
        var outcome = loaded.Tokenizer.Encode(text, buffer, settings);
        if (outcome.Error is not null)
        {
            return Result.Error(InputErrorKind.Unspecified, outcome.Error, 0) with { Unencodable = outcome.Error };
        }

        if (outcome.TooLong)
        {
            // NOTE: the NIM's wording, which the Api passes on verbatim.
            return Result.Error(InputErrorKind.TooLong, $"Input length {outcome.TokenCount} exceeds maximum allowed token size {settings.MaxTokens}", outcome.TokenCount);
        }

        return new Result(buffer.Ids.ToArray(), settings.WithOffsets ? buffer.Offsets.ToArray() : null, null, string.Empty, outcome.TokenCount);
    }

    private readonly record struct Result(int[] Ids, int[]? Offsets, InputErrorKind? ErrorKind, string ErrorMessage, int TokenCount, string? Unencodable = null)
    {
        public static Result Error(InputErrorKind kind, string message, int tokenCount) => new([], null, kind, message, tokenCount);
    }
}
