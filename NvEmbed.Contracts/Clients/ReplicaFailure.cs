using System.Net;
using System.Net.Http;
using Grpc.Core;

namespace NvEmbed.Contracts.Clients;

/// <summary>How <see cref="ReplicaSet{TClient}"/> reads a failed attempt.</summary>
internal enum ReplicaFailure
{
    /// <summary>The call's own answer (INVALID_ARGUMENT, the overall deadline, the caller's cancellation): no retry.</summary>
    Final,

    /// <summary>The replica is down or went away (connection refused or lost, UNAVAILABLE, a reset stream): back off, retry elsewhere.</summary>
    Gone,

    /// <summary>The replica refused this call (RESOURCE_EXHAUSTED, FAILED_PRECONDITION): retry elsewhere, no back-off.</summary>
    Refused,
}

/// <summary>Classifies <see cref="RpcException"/>s of one attempt.</summary>
internal static class ReplicaFailures
{
    /// <summary>
    /// What <paramref name="error"/> says about the replica, for a call whose caller has not cancelled. A stream the
    /// server ended without a status (HTTP/2 GOAWAY or RST_STREAM with NO_ERROR while the replica shuts down: gRPC's
    /// mapping gives INTERNAL or CANCELLED) counts as the replica going away, not as the call's answer: the fault runs
    /// showed the Api answering 500 for a tokenizer replica that shut down cleanly.
    /// </summary>
    public static ReplicaFailure Classify(RpcException error) => error.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.Aborted => ReplicaFailure.Gone,
        StatusCode.ResourceExhausted or StatusCode.FailedPrecondition => ReplicaFailure.Refused,
        StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown when IsTransportFailure(error.Status.DebugException) => ReplicaFailure.Gone,
        _ => ReplicaFailure.Final,
    };

    private static bool IsTransportFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or HttpProtocolException or IOException or System.Net.Sockets.SocketException)
            {
                return true;
            }
        }

        return false;
    }
}
