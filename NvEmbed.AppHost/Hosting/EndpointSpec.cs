namespace NvEmbed.AppHost.Hosting;

/// <summary>A named endpoint of a service.</summary>
/// <param name="Name">The endpoint's name: "http" or "grpc" by convention.</param>
/// <param name="Http2Only">True for gRPC endpoints: HTTP/2 cleartext with prior knowledge.</param>
/// <param name="Port">A fixed port, or null for a free one chosen at start.</param>
/// <param name="IsExternal">True for the public endpoint (bound on every interface).</param>
public sealed record EndpointSpec(string Name, bool Http2Only, int? Port, bool IsExternal);
