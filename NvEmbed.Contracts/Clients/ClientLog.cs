using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace NvEmbed.Contracts.Clients;

/// <summary>The typed clients' log messages.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(101, LogLevel.Warning, "{Service} replica {Address} is unavailable ({Status}); passing it over for {BackoffMs} ms and trying another: {Message}")]
    public static partial void ReplicaUnavailable(ILogger logger, string service, Uri address, StatusCode status, double backoffMs, string message);

    [LoggerMessage(102, LogLevel.Information, "{Service} replica {Address} refused a call ({Status}); trying another one: {Message}")]
    public static partial void ReplicaRefused(ILogger logger, string service, Uri address, StatusCode status, string message);

    [LoggerMessage(103, LogLevel.Warning, "{Service} replica {Address} did not answer within the attempt's {AttemptMs} ms; passing it over for {BackoffMs} ms and trying another")]
    public static partial void AttemptTimedOut(ILogger logger, string service, Uri address, double attemptMs, double backoffMs);
}
