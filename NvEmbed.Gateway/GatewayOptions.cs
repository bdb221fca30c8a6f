namespace NvEmbed.Gateway;

/// <summary>The gateway's settings (section "Gateway"; NIM environment variables map onto them in <see cref="Extensions.GatewayExtensions"/>).</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Gateway";

    /// <summary>
    /// Port of the public endpoint when no Kestrel endpoint is configured. Default 8000, the NIM's
    /// (<c>NIM_HTTP_API_PORT</c>).
    /// </summary>
    public int Port { get; set; } = 8000;

    /// <summary>
    /// Port of the public gRPC endpoint (HTTP/2 cleartext; the Api's KServe v2 surface) when no Kestrel endpoint is
    /// configured. Default 8001, the NIM's (<c>NIM_GRPC_API_PORT</c>).
    /// </summary>
    public int GrpcPort { get; set; } = 8001;

    /// <summary>
    /// Port of the NIM's metrics endpoint (Triton's 8002, which nv-ingest's compose publishes as 8014): <c>GET /metrics</c>
    /// there answers an Api replica's Prometheus text (its <c>/v1/metrics</c>), and nothing else is served on it.
    /// Default unset: no such listener (the AppHost and the tests leave it out); the gateway's container image sets 8002
    /// (<c>NVEMBED_METRICS_PORT</c>). When Kestrel endpoints are configured explicitly, add one on this port too.
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>
    /// The Api's end-to-end limit of one request, in seconds (<c>NIM_SERVER_REQUEST_TIMEOUT_S</c>, which the Api reads
    /// too). Default 120, the NIM's. The gateway waits <see cref="TimeoutMarginSeconds"/> longer, so a slow request gets
    /// the Api's NIM-shaped 503, never the gateway's 504.
    /// </summary>
    public double ApiRequestTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Seconds the gateway waits beyond <see cref="ApiRequestTimeoutSeconds"/> before it gives up on an Api replica.
    /// Default 10: the Api answers within milliseconds of its own deadline; the rest covers a loaded machine.
    /// </summary>
    public double TimeoutMarginSeconds { get; set; } = 10;

    /// <summary>How long the gateway waits for an Api replica's answer: the Api's limit plus the margin.</summary>
    public TimeSpan ProxyTimeout => TimeSpan.FromSeconds(ApiRequestTimeoutSeconds + TimeoutMarginSeconds);

    /// <summary>
    /// Largest request body accepted, in bytes; larger gets 413. Default 10 MiB: a full batch of
    /// 8192-token inputs (~30 KB each) fits many times over, and TEI's default is 2 MB
    /// (<c>NIM_SERVER_HTTP_BODY_LIMIT_BYTES</c>).
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Requests proxied at once; more get 429 with Retry-After. Default 512, TEI's
    /// <c>--max-concurrent-requests</c>.
    /// </summary>
    public int MaxConcurrentRequests { get; set; } = 512;

    /// <summary>
    /// When set, requests must carry <c>Authorization: Bearer &lt;key&gt;</c>. Default unset: any
    /// Authorization header is accepted, as the NIM does without a key (nv-ingest sends
    /// "&lt;no key provided&gt;"). Environment: <c>NVEMBED_API_KEY</c>.
    /// </summary>
    public string? ApiKey { get; set; }
}
