using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;

namespace NvEmbed.Contracts.Grpc;

/// <summary>
/// A request body of one length-prefixed gRPC message, serialised once into a pooled buffer and
/// written to the HTTP/2 stream in one write.
/// </summary>
internal sealed class GrpcMessageContent : HttpContent
{
    private readonly IMessage _message;
    private readonly int _size;

    /// <param name="message">The message.</param>
    /// <param name="size">Its <see cref="IMessage.CalculateSize"/>, already computed by the caller.</param>
    public GrpcMessageContent(IMessage message, int size)
    {
        _message = message;
        _size = size;
        Headers.TryAddWithoutValidation("Content-Type", GrpcProtocol.ContentType);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var length = GrpcProtocol.MessageHeaderSize + _size;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(1, 4), (uint)_size);
            _message.WriteTo(buffer.AsSpan(GrpcProtocol.MessageHeaderSize, _size));
            await stream.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // NOTE: no content-length; HTTP/2 frames the body itself and gRPC clients do not send one.
    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
