namespace NvEmbed.Tokenizer;

/// <summary>The tokenizer service's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Serving {Path} ({ModelType}, vocab {VocabSize}, max {MaxTokens} tokens, fast path {FastPath}) as '{ServedModelName}' with {Workers} workers")]
    public static partial void Serving(ILogger logger, string path, string modelType, int vocabSize, int maxTokens, bool fastPath, string servedModelName, int workers);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Refused an Encode of {Texts} texts: the queue is full ({Queued} items)")]
    public static partial void QueueFull(ILogger logger, int texts, int queued);
}
