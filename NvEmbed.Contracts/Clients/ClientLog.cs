using Microsoft.Extensions.Logging;
using NvEmbed.Contracts.Grpc;

namespace NvEmbed.Contracts.Clients;

/// <summary>The typed clients' log messages.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(101, LogLevel.Warning, "Replica {Address} is unavailable; skipping it for {BackoffMs} ms: {Message}")]
    public static partial void ReplicaUnavailable(ILogger logger, Uri address, double backoffMs, string message);

    [LoggerMessage(102, LogLevel.Information, "Replica {Address} refused a call ({Status}); trying another one: {Message}")]
    public static partial void ReplicaRefused(ILogger logger, Uri address, GrpcStatusCode status, string message);
}
