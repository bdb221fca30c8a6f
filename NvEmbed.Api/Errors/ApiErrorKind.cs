namespace NvEmbed.Api.Errors;

/// <summary>
/// Every way a request can fail, whatever the surface. Each kind is mapped to an HTTP status and body once
/// per surface: <see cref="NimErrors"/> (NIM and OpenAI routes) and <see cref="TeiErrors"/> (TEI routes).
/// </summary>
public enum ApiErrorKind
{
    /// <summary>The body does not fit the schema (bad JSON, wrong type, unknown field) or breaks a rule (too many inputs).</summary>
    Validation,

    /// <summary>An empty input list or an empty string.</summary>
    Empty,

    /// <summary>An input longer than the token limit with truncation off.</summary>
    TooLong,

    /// <summary>A model that is not served (only when several are).</summary>
    NotFound,

    /// <summary>A body larger than the limit.</summary>
    PayloadTooLarge,

    /// <summary>A body that is not JSON by its Content-Type.</summary>
    UnsupportedMediaType,

    /// <summary>The worker answered RESOURCE_EXHAUSTED: its queue is full.</summary>
    Overloaded,

    /// <summary>The Api's own admission limit (<c>NIM_SERVER_MAX_QUEUE_SIZE</c>) is reached.</summary>
    QueueFull,

    /// <summary>The tokenizer or the worker does not answer, is not ready, or serves another model.</summary>
    Unavailable,

    /// <summary>The request ran past <c>NIM_SERVER_REQUEST_TIMEOUT_S</c>.</summary>
    Timeout,

    /// <summary>The tokenizer or the worker failed in an unexpected way, or the Api has a bug.</summary>
    Backend,
}
