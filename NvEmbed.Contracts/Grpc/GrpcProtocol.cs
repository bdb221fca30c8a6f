using System.Net;
using System.Net.Http.Headers;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// Constants and mappings of the gRPC over HTTP/2 protocol (grpc/grpc doc/PROTOCOL-HTTP2.md and
/// doc/http-grpc-status-mapping.md), shared by the server and the client side of the transport.
/// </summary>
internal static class GrpcProtocol
{
    /// <summary>The content type of a gRPC message stream; variants such as <c>application/grpc+proto</c> share this prefix.</summary>
    public const string ContentType = "application/grpc";

    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";

    /// <summary>The only message encoding this transport speaks (no compression).</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>Length-prefixed message header: 1 byte compressed flag + 4 bytes big-endian length.</summary>
    public const int MessageHeaderSize = 5;

    /// <summary>True when <paramref name="contentType"/> is <c>application/grpc</c> or one of its <c>+format</c> / parameter variants.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (contentType.Length == ContentType.Length)
        {
            return true;
        }

        var next = contentType[ContentType.Length];
        return next is '+' or ';';
    }

    /// <summary>True when <paramref name="mediaType"/> (a parsed content type) is a gRPC one.</summary>
    public static bool IsGrpcContentType(MediaTypeHeaderValue? mediaType) => IsGrpcContentType(mediaType?.MediaType);

    /// <summary>
    /// The gRPC status a client reports when the HTTP status is not 200 and no grpc-status was sent
    /// (doc/http-grpc-status-mapping.md).
    /// </summary>
    public static GrpcStatusCode StatusFromHttp(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    /// <summary>
    /// The gRPC status a client reports when the server reset the stream with an HTTP/2 error code
    /// (doc/PROTOCOL-HTTP2.md, "Errors").
    /// </summary>
    public static GrpcStatusCode StatusFromHttp2ErrorCode(long errorCode) => errorCode switch
    {
        0x7 => GrpcStatusCode.Unavailable,       // REFUSED_STREAM
        0x8 => GrpcStatusCode.Cancelled,         // CANCEL
        0xB => GrpcStatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
        0xC => GrpcStatusCode.PermissionDenied,  // INADEQUATE_SECURITY
        _ => GrpcStatusCode.Internal,
    };
}
