namespace NvEmbed.InferenceWorker.Batching;

/// <summary>Why the scheduler refused or failed a request; the gRPC service maps each to a status once.</summary>
public enum EmbedErrorKind
{
    /// <summary>The request is malformed (bad offsets, empty or too long sequence, unsupported dimensions): INVALID_ARGUMENT.</summary>
    Validation,

    /// <summary>The queue is full: RESOURCE_EXHAUSTED, retry later.</summary>
    Overloaded,

    /// <summary>The request's deadline passed before its sequences ran: DEADLINE_EXCEEDED.</summary>
    DeadlineExceeded,

    /// <summary>The device ran out of memory on the request's batch, also after a retry in smaller batches: UNAVAILABLE.</summary>
    OutOfMemory,

    /// <summary>The backend failed on the request's batch, also after a retry: INTERNAL.</summary>
    Backend,

    /// <summary>The worker is not serving (model loading, or shutting down): UNAVAILABLE.</summary>
    Unavailable,
}
