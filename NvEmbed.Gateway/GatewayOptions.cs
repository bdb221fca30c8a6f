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
