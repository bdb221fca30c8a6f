using Microsoft.Extensions.Logging;

namespace NvEmbed.Contracts.Grpc;

/// <summary>The transport's log messages.</summary>
internal static partial class GrpcLog
{
    [LoggerMessage(1, LogLevel.Error, "gRPC handler of {Method} threw an unexpected exception.")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "gRPC call {Method} was cancelled by the client.")]
    public static partial void CallCancelledByClient(ILogger logger, string method);

    [LoggerMessage(3, LogLevel.Debug, "gRPC call {Method} exceeded its deadline.")]
    public static partial void DeadlineExceeded(ILogger logger, string method);

    [LoggerMessage(4, LogLevel.Debug, "gRPC call {Method} failed with {Status}: {Message}")]
    public static partial void CallFailed(ILogger logger, string method, GrpcStatusCode status, string message);

    [LoggerMessage(5, LogLevel.Debug, "Request to {Path} rejected: {Reason}")]
    public static partial void RequestRejected(ILogger logger, string path, string reason);
}
