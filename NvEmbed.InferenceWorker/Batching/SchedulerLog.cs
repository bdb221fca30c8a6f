using Microsoft.Extensions.Logging;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>The inference worker's log messages (scheduler, runtime and gRPC service).</summary>
internal static partial class SchedulerLog
{
    [LoggerMessage(1, LogLevel.Warning, "Batch of {Rows} sequences ({PaddedTokens} padded tokens) failed on session {Session}; splitting it and retrying once.")]
    public static partial void BatchFailedRetrying(ILogger logger, int rows, int paddedTokens, int session, Exception exception);

    [LoggerMessage(2, LogLevel.Error, "Batch of {Rows} sequences ({PaddedTokens} padded tokens) failed again on session {Session}; failing its requests ({Kind}).")]
    public static partial void BatchFailed(ILogger logger, int rows, int paddedTokens, int session, EmbedErrorKind kind, Exception exception);

    [LoggerMessage(3, LogLevel.Critical, "The batcher stopped on an unexpected error; queued requests are failed. This is a bug.")]
    public static partial void BatcherCrashed(ILogger logger, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Warm-up on session {Session}: {Rows} rows × {SequenceLength} tokens in {Milliseconds:F1} ms.")]
    public static partial void WarmedUp(ILogger logger, int session, int rows, int sequenceLength, double milliseconds);

    [LoggerMessage(5, LogLevel.Information, "Loading model from {ModelDir}: {Sessions} session(s), execution provider {ExecutionProvider}, {Threads} CPU thread(s) per session.")]
    public static partial void LoadingModel(ILogger logger, string modelDir, int sessions, string executionProvider, int threads);

    [LoggerMessage(6, LogLevel.Information, "Inference worker ready: {Sessions} session(s), hidden size {HiddenSize}, max {MaxTokens} tokens, batch budget {MaxBatchTokens} tokens.")]
    public static partial void Ready(ILogger logger, int sessions, int hiddenSize, int maxTokens, int maxBatchTokens);

    [LoggerMessage(7, LogLevel.Critical, "The model could not be loaded; the worker stays NOT_SERVING.")]
    public static partial void LoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Embed call ended by the caller: {Reason}.")]
    public static partial void CallCancelled(ILogger logger, string reason);

    [LoggerMessage(9, LogLevel.Debug, "Request refused: {Message}")]
    public static partial void Refused(ILogger logger, string message);

    [LoggerMessage(10, LogLevel.Information, "{Progress}")]
    public static partial void LoadProgress(ILogger logger, string progress);

    [LoggerMessage(11, LogLevel.Information, "Native heap tuning for ONNX Runtime: {Outcome}.")]
    public static partial void NativeHeapTuning(ILogger logger, string outcome);

    [LoggerMessage(12, LogLevel.Warning, "The device ran out of memory on a batch of {PaddedTokens} padded tokens; batches are now cut to at most {BatchTokens} tokens.")]
    public static partial void OutOfMemory(ILogger logger, int paddedTokens, int batchTokens, Exception exception);
}
