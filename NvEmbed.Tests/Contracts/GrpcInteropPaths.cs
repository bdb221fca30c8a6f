using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Contracts;

/// <summary>Where the node interop scripts find the .proto files, and the payloads both sides compute.</summary>
public static class GrpcInteropPaths
{
    /// <summary>Root of the test protos (test/v1/echo.proto).</summary>
    public static string TestProtoRoot => Path.Combine(RepoPaths.Root, "NvEmbed.Tests", "Contracts", "Protos");

    /// <summary>Root of grpc/health/v1/health.proto for the node scripts (.NET uses Grpc.HealthCheck's generated types).</summary>
    public static string HealthProtoRoot => Path.Combine(RepoPaths.JsDir, "grpc", "protos");

    /// <summary>The payload js/grpc/load-protos.js computes: byte i = (i * 7 + seed) &amp; 0xFF.</summary>
    public static byte[] Payload(int length, int seed)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 7 + seed) & 0xFF);
        }

        return bytes;
    }
}
