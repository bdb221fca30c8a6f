using Microsoft.Extensions.Logging;

namespace NvEmbed.Contracts.Clients;

/// <summary>The typed clients' log messages.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(101, LogLevel.Warning, "Inference replica {Address} is unavailable; skipping it for {BackoffMs} ms: {Message}")]
    public static partial void ReplicaUnavailable(ILogger logger, Uri address, double backoffMs, string message);
}
