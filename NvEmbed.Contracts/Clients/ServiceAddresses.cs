using Microsoft.Extensions.Configuration;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Reads a service's replica addresses from the Aspire-style configuration the AppHost sets:
/// <c>services__&lt;name&gt;__&lt;endpoint&gt;__&lt;i&gt;</c> environment variables, i.e. the
/// configuration keys <c>services:&lt;name&gt;:&lt;endpoint&gt;:&lt;i&gt;</c>, one per replica.
/// </summary>
public static class ServiceAddresses
{
    /// <summary>The scheme of an address that names a DNS name to resolve to every replica (a Kubernetes headless Service).</summary>
    public const string DnsScheme = "dns";

    /// <summary>
    /// The addresses <c>services:{service}:{endpoint}:0</c>, <c>:1</c>, ... in index order, up to the first missing
    /// index. Empty when none is set. Each is an absolute <c>http://host:port</c> (one replica) or
    /// <c>dns:///host:port</c> (every address the name resolves to, balanced by grpc-dotnet); anything else throws.
    /// </summary>
    public static IReadOnlyList<Uri> FromConfiguration(IConfiguration configuration, string service, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        var addresses = new List<Uri>();
        for (var i = 0; ; i++)
        {
            var value = configuration[$"services:{service}:{endpoint}:{i}"];
            if (string.IsNullOrWhiteSpace(value))
            {
                return addresses;
            }

            if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) ||
                (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != DnsScheme) ||
                (uri.Scheme == DnsScheme && uri.AbsolutePath.Trim('/').Length == 0))
            {
                throw new InvalidOperationException(
                    $"services__{service}__{endpoint}__{i} = '{value}' is not an absolute http://host:port or dns:///host:port address.");
            }

            addresses.Add(uri);
        }
    }

    /// <summary>True for a <c>dns:///</c> address: one entry that stands for several replicas.</summary>
    public static bool IsBalanced(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Scheme == DnsScheme;
    }
}
