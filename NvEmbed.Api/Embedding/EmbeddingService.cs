using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Metrics;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Embedding;

/// <summary>
/// Runs an <see cref="EmbedCommand"/>: admission, one tokenizer call for all inputs (prefixed), then as many worker
/// calls as the token budget per call needs, run concurrently and merged in input order.
/// </summary>
public sealed class EmbeddingService
{
    /// <summary>Token budget per worker call when neither the options nor the worker name one (TEI's --max-batch-tokens default).</summary>
    public const int DefaultMaxTokensPerWorkerCall = 16384;

    private readonly ITokenizerClient _tokenizer;
    private readonly IInferenceClient _inference;
    private readonly BackendState _backends;
    private readonly AdmissionGate _admission;
    private readonly ApiMetrics _metrics;
    private readonly IOptionsMonitor<ApiOptions> _options;

    public EmbeddingService(ITokenizerClient tokenizer, IInferenceClient inference, BackendState backends, AdmissionGate admission, ApiMetrics metrics, IOptionsMonitor<ApiOptions> options)
    {
        _tokenizer = tokenizer;
        _inference = inference;
        _backends = backends;
        _admission = admission;
        _metrics = metrics;
        _options = options;
    }

    /// <summary>
    /// Embeds <paramref name="command"/> for <paramref name="model"/> within the request timeout, or by
    /// <paramref name="clientDeadline"/> (UTC; a gRPC caller's own deadline) when that comes first. The deadline goes to the
    /// tokenizer and the worker with each call, so they drop work nobody waits for.
    /// </summary>
    /// <exception cref="ApiException">The request cannot be served; the kind says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (the client went away).</exception>
    public async Task<EmbedResult> EmbedAsync(EmbedCommand command, ModelSnapshot model, CancellationToken cancellationToken, DateTime? clientDeadline = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(model);
        if (!_admission.TryEnter())
        {
            _metrics.Rejected();
            throw new ApiException(ApiErrorKind.QueueFull,
                $"The server is at its limit of {_options.CurrentValue.MaxQueueSize} requests in flight; retry later.");
        }

        var options = _options.CurrentValue;
        var deadline = options.RequestDeadline();
        if (clientDeadline < deadline)
        {
            deadline = clientDeadline.Value;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromTicks(Math.Max(deadline.Ticks - DateTime.UtcNow.Ticks, 0)));
        try
        {
            var texts = Prefixed(command.Texts, command.Prefix);
            var tokenizeStart = Stopwatch.GetTimestamp();
            var batch = await CallAsync(
                () => _tokenizer.EncodeAsync(texts, command.Truncation, options.MaxSequenceLength, addSpecialTokens: true, returnOffsets: false, deadline, timeout.Token),
                "tokenizer", cancellationToken, timeout.Token).ConfigureAwait(false);
            var tokenizationTime = Stopwatch.GetElapsedTime(tokenizeStart);
            if (batch.Count != texts.Count)
            {
                throw new ApiException(ApiErrorKind.Backend, $"The tokenizer returned {batch.Count} sequences for {texts.Count} inputs.");
            }

            if (batch.Errors.Count > 0)
            {
                throw ToApiError(batch.Errors[0]);
            }

            var budget = options.MaxTokensPerWorkerCall > 0 ? options.MaxTokensPerWorkerCall
                : model.MaxBatchTokens > 0 ? model.MaxBatchTokens : DefaultMaxTokensPerWorkerCall;
            var calls = WorkerCallPlanner.Plan(batch.CuSeqLengths, budget);
            var workerStart = Stopwatch.GetTimestamp();
            var results = await RunWorkerCallsAsync(batch, calls, command, deadline, cancellationToken, timeout).ConfigureAwait(false);
            var workerTime = Stopwatch.GetElapsedTime(workerStart);

            var vectors = new List<ReadOnlyMemory<byte>>(texts.Count);
            var expectedDimensions = command.Dimensions > 0 ? command.Dimensions : model.FullDimensions;
            var (queue, inference) = (TimeSpan.Zero, TimeSpan.Zero);
            for (var c = 0; c < results.Length; c++)
            {
                var result = results[c];
                var expectedCount = calls[c].End.Value - calls[c].Start.Value;
                if (result.Vectors.Count != expectedCount || result.Dimensions != expectedDimensions)
                {
                    throw new ApiException(ApiErrorKind.Backend,
                        $"The inference worker returned {result.Vectors.Count} vectors of {result.Dimensions} values for {expectedCount} sequences of {expectedDimensions}.");
                }

                foreach (var vector in result.Vectors)
                {
                    if (vector.Length != result.Dimensions * sizeof(float))
                    {
                        throw new ApiException(ApiErrorKind.Backend, $"The inference worker returned a vector of {vector.Length} bytes for {result.Dimensions} dimensions.");
                    }

                    vectors.Add(vector);
                }

                queue = queue > result.QueueTime ? queue : result.QueueTime;
                inference = inference > result.InferenceTime ? inference : result.InferenceTime;
            }

            var tokens = batch.CuSeqLengths[^1];
            _metrics.Embedded(texts.Count, tokens, tokenizationTime, queue, inference, calls.Count);
            var inputTokens = new int[texts.Count];
            for (var i = 0; i < inputTokens.Length; i++)
            {
                inputTokens[i] = batch.CuSeqLengths[i + 1] - batch.CuSeqLengths[i];
            }

            return new EmbedResult(vectors, expectedDimensions, tokens, tokenizationTime, queue, inference, calls.Count)
            {
                InputTokens = inputTokens,
                WorkerTime = workerTime,
            };
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new ApiException(ApiErrorKind.Timeout, $"The request did not finish within {options.RequestTimeoutSeconds} s.", innerException: ex);
        }
        finally
        {
            _admission.Exit();
        }
    }

    private static IReadOnlyList<string> Prefixed(IReadOnlyList<string> texts, string prefix)
    {
        if (prefix.Length == 0)
        {
            return texts;
        }

        var result = new string[texts.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = string.Concat(prefix, texts[i]);
        }

        return result;
    }

    private static ApiException ToApiError(TokenizeError error) => error.Kind switch
    {
        // NOTE: the message is NIM's (observed shape), with the count and the limit the tokenizer applied.
        TokenizeErrorKind.TooLong => new ApiException(ApiErrorKind.TooLong,
            $"Input length {error.TokenCount} exceeds maximum allowed token size {error.MaxTokens}"),
        TokenizeErrorKind.Empty => new ApiException(ApiErrorKind.Empty, $"Input at index {error.Index} is empty."),
        TokenizeErrorKind.TooLarge => new ApiException(ApiErrorKind.TooLong, $"Input at index {error.Index} is too large: {error.Message}"),
        _ => new ApiException(ApiErrorKind.Backend, $"The tokenizer rejected input {error.Index}: {error.Message}"),
    };

    private async Task<EmbeddingBatch[]> RunWorkerCallsAsync(
        TokenizedBatch batch, List<Range> calls, EmbedCommand command, DateTime deadline, CancellationToken requestAborted, CancellationTokenSource timeout)
    {
        // The calls run concurrently so the worker can batch them; the first failure cancels the others and is the
        // one reported.
        using var siblings = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        Exception? firstFailure = null;
        var pending = new Task<EmbeddingBatch>[calls.Count];
        for (var c = 0; c < calls.Count; c++)
        {
            var (first, end) = (calls[c].Start.Value, calls[c].End.Value);
            var offset = batch.CuSeqLengths[first];
            var ids = batch.InputIds.AsMemory(offset, batch.CuSeqLengths[end] - offset);
            var cu = new int[end - first + 1];
            for (var i = 0; i < cu.Length; i++)
            {
                cu[i] = batch.CuSeqLengths[first + i] - offset;
            }

            pending[c] = RunOneAsync(ids, cu);
        }

        try
        {
            return await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch when (firstFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure);
            throw;
        }

        async Task<EmbeddingBatch> RunOneAsync(ReadOnlyMemory<int> ids, int[] cu)
        {
            try
            {
                return await CallAsync(
                    () => _inference.EmbedAsync(ids, cu, command.Dimensions, command.Normalize, deadline, siblings.Token),
                    "inference worker", requestAborted, timeout.Token, siblings.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!siblings.IsCancellationRequested || timeout.IsCancellationRequested)
            {
                if (Interlocked.CompareExchange(ref firstFailure, ex, null) is null)
                {
                    await siblings.CancelAsync().ConfigureAwait(false);
                }

                throw;
            }
        }
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call, string component, CancellationToken requestAborted, CancellationToken timeout, CancellationToken callToken = default)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (requestAborted.IsCancellationRequested)
        {
            throw new OperationCanceledException("The client went away.", ex, requestAborted);
        }
        catch (RpcException ex) when (timeout.IsCancellationRequested)
        {
            throw new OperationCanceledException("The request timed out.", ex, timeout);
        }
        catch (RpcException ex) when (callToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Another part of the request failed.", ex, callToken);
        }
        catch (RpcException ex)
        {
            var error = GrpcErrors.Translate(ex, component);
            if (error.Kind == ApiErrorKind.Unavailable)
            {
                _backends.Invalidate();
            }

            throw error;
        }
    }
}
