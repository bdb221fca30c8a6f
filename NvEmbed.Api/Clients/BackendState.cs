using Grpc.Core;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Options;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Clients;

/// <summary>
/// Caches the model description read from the worker and the tokenizer, refreshes it in the background when it is
/// older than <see cref="ApiOptions.ModelInfoRefreshSeconds"/> (requests keep using the cached one meanwhile) and at
/// once after a backend was found unavailable, and answers readiness probes.
/// </summary>
public sealed class BackendState
{
    private readonly ITokenizerClient _tokenizer;
    private readonly IInferenceClient _inference;
    private readonly IOptionsMonitor<ApiOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BackendState> _logger;
    private readonly Lock _lock = new();
    private ModelSnapshot? _snapshot;
    private long _snapshotTimestamp;
    private Task<ModelSnapshot>? _refresh;

    public BackendState(ITokenizerClient tokenizer, IInferenceClient inference, IOptionsMonitor<ApiOptions> options, TimeProvider time, ILogger<BackendState> logger)
    {
        _tokenizer = tokenizer;
        _inference = inference;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The model description: the cached one while fresh (or while a background refresh runs), else read now.</summary>
    /// <exception cref="ApiException">Unavailable: the backends do not answer or serve different models.</exception>
    public async Task<ModelSnapshot> GetModelAsync(CancellationToken cancellationToken)
    {
        ModelSnapshot? cached;
        Task<ModelSnapshot> refresh;
        lock (_lock)
        {
            cached = _snapshot;
            var fresh = cached is not null &&
                _time.GetElapsedTime(_snapshotTimestamp) < TimeSpan.FromSeconds(_options.CurrentValue.ModelInfoRefreshSeconds);
            if (fresh)
            {
                return cached!;
            }

            // Outside the lock and off the request's thread; a refresh that completed synchronously is not reused.
            // NOTE: the refresh serves every request that comes later, so it must not carry this request's context:
            // with it, its ModelInfo calls showed up inside whichever request's trace happened to start it.
            if (_refresh is null || _refresh.IsCompleted)
            {
                using (ExecutionContext.SuppressFlow())
                {
                    _refresh = Task.Run(RefreshAsync);
                }
            }

            refresh = _refresh;
        }

        if (cached is not null)
        {
            // Stale but usable: let the refresh finish in the background.
            return cached;
        }

        return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forgets the cached description, so the next request reads it again (after a backend failed as unavailable).</summary>
    public void Invalidate()
    {
        lock (_lock)
        {
            _snapshot = null;
        }
    }

    /// <summary>
    /// True while at least one tokenizer and one worker replica answer SERVING and the model description (tokenizer and
    /// worker report the same fingerprint) is known.
    /// </summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.CurrentValue.ReadinessProbeTimeoutSeconds));
        try
        {
            // One serving replica of each is enough; the model description (whose fingerprints must agree) is the
            // cached one while there is one, refreshed in the background, so a frozen replica cannot hold the probe.
            var tokenizerServing = _tokenizer.IsServingAsync(timeout.Token);
            var workerServing = _inference.IsServingAsync(timeout.Token);
            var snapshot = GetModelAsync(timeout.Token);
            await Task.WhenAll(tokenizerServing, workerServing, snapshot).ConfigureAwait(false);
            return tokenizerServing.Result && workerServing.Result;
        }
        catch (Exception ex) when (ex is RpcException or ApiException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.NotReady(_logger, ex.Message);
            return false;
        }
    }

    private async Task<ModelSnapshot> RefreshAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(_options.CurrentValue.ReadinessProbeTimeoutSeconds, 5)));
            var snapshot = await ReadAsync(timeout.Token).ConfigureAwait(false);
            Store(snapshot);
            return snapshot;
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            Log.ModelInfoFailed(_logger, ex.Message);
            throw new ApiException(ApiErrorKind.Unavailable, $"The model is not available: the tokenizer or the inference worker does not answer ({ex.Message}).", innerException: ex);
        }
        catch (ApiException ex)
        {
            Log.ModelInfoFailed(_logger, ex.Message);
            throw;
        }
    }

    private void Store(ModelSnapshot snapshot)
    {
        lock (_lock)
        {
            if (_snapshot is null || _snapshot.Fingerprint != snapshot.Fingerprint || !_snapshot.ServedNames.SequenceEqual(snapshot.ServedNames))
            {
                Log.ModelInfoRead(_logger, snapshot.PrimaryName, snapshot.Fingerprint, snapshot.FullDimensions, snapshot.MaxTokens);
            }

            _snapshot = snapshot;
            _snapshotTimestamp = _time.GetTimestamp();
        }
    }

    private async Task<ModelSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var tokenizerTask = _tokenizer.GetInfoAsync(cancellationToken);
        var inferenceTask = _inference.GetInfoAsync(cancellationToken);
        var tokenizer = await tokenizerTask.ConfigureAwait(false);
        var inference = await inferenceTask.ConfigureAwait(false);
        if (!string.Equals(tokenizer.ModelFingerprint, inference.ModelFingerprint, StringComparison.OrdinalIgnoreCase))
        {
            Log.FingerprintMismatch(_logger, tokenizer.ModelFingerprint, inference.ModelFingerprint);
            throw new ApiException(ApiErrorKind.Unavailable,
                "The tokenizer and the inference worker serve different models; the service is not ready.");
        }

        if (inference.Dimensions.Count == 0)
        {
            throw new ApiException(ApiErrorKind.Unavailable, "The inference worker reports no output dimensions.");
        }

        var options = _options.CurrentValue;
        var (names, singleModel) = ServedModelNames.Resolve(options.ServedModelNameList, inference.ServedModelName);
        var maxTokens = Positive(inference.MaxTokens, tokenizer.MaxTokens, options.MaxSequenceLength);
        var dimensions = inference.Dimensions.Order().ToArray();
        return new ModelSnapshot(names, singleModel, dimensions, maxTokens, inference.MaxBatchTokens, inference, tokenizer);
    }

    private static int Positive(params ReadOnlySpan<int> limits)
    {
        var result = int.MaxValue;
        foreach (var limit in limits)
        {
            if (limit > 0)
            {
                result = Math.Min(result, limit);
            }
        }

        return result == int.MaxValue ? 0 : result;
    }
}
