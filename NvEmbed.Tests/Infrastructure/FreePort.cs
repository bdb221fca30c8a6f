using System.Net;
using System.Net.Sockets;

namespace NvEmbed.Tests.Infrastructure;

/// <summary>Free loopback ports for tests that must name a port up front (never a shared fixed one).</summary>
public static class FreePort
{
    /// <summary>A port nobody listens on right now, chosen by the kernel.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
