namespace NvEmbed.InferenceWorker.Batching;

/// <summary>A request the scheduler refused or could not complete.</summary>
public sealed class EmbeddingException : Exception
{
    public EmbeddingException(EmbedErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>The reason, as one of the worker's error kinds.</summary>
    public EmbedErrorKind Kind { get; }
}
