using Microsoft.Extensions.Configuration;

namespace NvEmbed.Contracts.Clients;

/// <summary>
/// Reads a service's replica addresses from the Aspire-style configuration the AppHost sets:
/// <c>services__&lt;name&gt;__&lt;endpoint&gt;__&lt;i&gt;</c> environment variables, i.e. the
/// configuration keys <c>services:&lt;name&gt;:&lt;endpoint&gt;:&lt;i&gt;</c>.
/// </summary>
public static class ServiceAddresses
{
    /// <summary>
    /// The addresses <c>services:{service}:{endpoint}:0</c>, <c>:1</c>, ... in index order, up to the
    /// first missing index. Empty when none is set; a value that is not an absolute http(s) URI throws.
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

            if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidOperationException(
                    $"services__{service}__{endpoint}__{i} = '{value}' is not an absolute http:// or https:// address.");
            }

            addresses.Add(uri);
        }
    }
}
