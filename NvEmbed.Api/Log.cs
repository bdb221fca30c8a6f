namespace NvEmbed.Api;

/// <summary>The Api's log events.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "The client went away before {Path} was answered.")]
    public static partial void ClientDisconnected(ILogger logger, string path);

    [LoggerMessage(2, LogLevel.Debug, "Rejected {Path}: {Kind}: {Message}")]
    public static partial void Rejected(ILogger logger, string path, string kind, string message);

    [LoggerMessage(3, LogLevel.Warning, "{Path} failed: {Kind}: {Message}")]
    public static partial void BackendFailed(ILogger logger, string path, string kind, string message);

    [LoggerMessage(4, LogLevel.Error, "{Path} failed unexpectedly.")]
    public static partial void Unexpected(ILogger logger, string path, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "The tokenizer (model {TokenizerFingerprint}) and the inference worker (model {WorkerFingerprint}) serve different models.")]
    public static partial void FingerprintMismatch(ILogger logger, string tokenizerFingerprint, string workerFingerprint);

    [LoggerMessage(6, LogLevel.Information, "Serving {Model} (fingerprint {Fingerprint}, {Dimensions} dimensions, {MaxTokens} tokens max).")]
    public static partial void ModelInfoRead(ILogger logger, string model, string fingerprint, int dimensions, int maxTokens);

    [LoggerMessage(7, LogLevel.Warning, "Could not read the model description from the backends: {Message}")]
    public static partial void ModelInfoFailed(ILogger logger, string message);

    [LoggerMessage(8, LogLevel.Debug, "Not ready: {Message}")]
    public static partial void NotReady(ILogger logger, string message);

    [LoggerMessage(9, LogLevel.Debug, "The response to {Path} had started when it failed; the connection is closed: {Message}")]
    public static partial void FailedAfterStart(ILogger logger, string path, string message);
}
