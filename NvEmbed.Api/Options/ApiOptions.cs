namespace NvEmbed.Api.Options;

/// <summary>
/// Settings of the Api service, bound from the configuration section <c>Api</c>. The NIM environment
/// variables (<c>NIM_TRITON_MAX_BATCH_SIZE</c> and the others listed in <see cref="NimEnvironment"/>)
/// are mapped onto these properties in one place, <see cref="NimEnvironment.Map"/>.
/// </summary>
public sealed class ApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Api";

    /// <summary>
    /// Most inputs in one request (<c>NIM_TRITON_MAX_BATCH_SIZE</c>). Default 30, NIM's own default;
    /// langchain sends up to 50 per request unless told otherwise, so deployments serving it raise this.
    /// </summary>
    public int MaxBatchSize { get; set; } = 30;

    /// <summary>
    /// Token limit per input, special tokens included (<c>NIM_TRITON_MAX_SEQ_LENGTH</c> or <c>NIM_MAX_SEQ_LEN</c>).
    /// Default 0: the tokenizer's own limit (the model's, 8192 for the target model).
    /// </summary>
    public int MaxSequenceLength { get; set; }

    /// <summary>
    /// Requests admitted at once, queued or running (<c>NIM_SERVER_MAX_QUEUE_SIZE</c>). Default 1024, NIM 2.x's
    /// default. Admission is a try-acquire: one more request is answered at once with 503 on the NIM/OpenAI
    /// routes (as NIM 2.x does) and 429 on the TEI routes (as TEI does), both with Retry-After.
    /// </summary>
    public int MaxQueueSize { get; set; } = 1024;

    /// <summary>Seconds one request may take end to end (<c>NIM_SERVER_REQUEST_TIMEOUT_S</c>). Default 120, NIM 2.x's default.</summary>
    public double RequestTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Largest request body in bytes (<c>NIM_SERVER_HTTP_BODY_LIMIT_BYTES</c>); larger ones get 413. Default 10 MiB, the
    /// gateway's default for the same variable: 30 inputs of 8192 tokens are about 1 MiB of English, and non-Latin
    /// scripts sent as <c>\uXXXX</c> escapes take up to 3 times more. TEI's default is 2 MB.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Tokens one worker call carries at most; a request with more is split into several calls that run
    /// concurrently and are merged in input order. Default 0: the worker's own token budget per batch
    /// (<c>InferenceInfo.MaxBatchTokens</c>), or 16384 (TEI's <c>--max-batch-tokens</c>) when it reports none.
    /// </summary>
    public int MaxTokensPerWorkerCall { get; set; }

    /// <summary>
    /// Model names served (<c>NIM_SERVED_MODEL_NAME</c>, comma-separated). Default: none, which serves the worker's own
    /// name and the model's other published name (<see cref="Options.ServedModelNames"/>: nv-ingest and langchain-nvidia
    /// ask for the target model's new name). With one model (the default, or one name) the HTTP routes serve any
    /// requested model (as NIM and TEI do); with several names, a request for another name gets 404. The KServe surface
    /// serves only the listed names.
    /// </summary>
    public string? ServedModelNames { get; set; }

    /// <summary>Model version shown in /v1/metadata as <c>shortName = "&lt;id&gt;:&lt;version&gt;"</c> (<c>MODEL_VERSION</c>). Default "1".</summary>
    public string ModelVersion { get; set; } = "1";

    /// <summary>
    /// Seconds the model description (served name, dimensions, limits) read from the worker stays fresh before it
    /// is read again in the background. Default 5: a replaced worker is noticed within seconds, at the cost of
    /// two small gRPC calls per interval. A worker or tokenizer that fails as unavailable also forces a re-read.
    /// </summary>
    public double ModelInfoRefreshSeconds { get; set; } = 5;

    /// <summary>Seconds a readiness probe waits for the tokenizer and the worker. Default 2 (below the 3 s that gateways and Kubernetes probes usually allow).</summary>
    public double ReadinessProbeTimeoutSeconds { get; set; } = 2;

    /// <summary>Retry-After (seconds) sent with 429 and 503 answers. Default 1: the worker's queue drains in milliseconds to seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>
    /// The model directory (<c>NVEMBED_MODEL_DIR</c>), read only for its <c>nvembed.json</c> (prefixes, whether
    /// <c>input_type</c> is required) and LICENSE. Default: none, which uses <c>ModelServingSettings</c>' defaults
    /// ("query: " / "passage: ", input_type required).
    /// </summary>
    public string? ModelDirectory { get; set; }

    /// <summary>The deadline (UTC) of a request that starts now: <see cref="RequestTimeoutSeconds"/> from now, sent to the backends.</summary>
    public DateTime RequestDeadline() => DateTime.UtcNow + TimeSpan.FromSeconds(RequestTimeoutSeconds);

    /// <summary>The served names parsed from <see cref="ServedModelNames"/>.</summary>
    public IReadOnlyList<string> ServedModelNameList =>
        string.IsNullOrWhiteSpace(ServedModelNames)
            ? []
            : ServedModelNames.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
