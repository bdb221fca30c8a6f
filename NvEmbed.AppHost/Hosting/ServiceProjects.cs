using System.Reflection;

namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// Where each service's built entry assembly and project file are. The AppHost's build records
/// them in assembly metadata (see NvEmbed.AppHost.csproj), as Aspire's generated Projects class does.
/// </summary>
public static class ServiceProjects
{
    /// <summary>The built entry assembly (run with <c>dotnet &lt;path&gt;</c>) of service <paramref name="name"/>.</summary>
    public static string AssemblyPath(string name) => Metadata($"NvEmbed.Service.{name}.Assembly");

    /// <summary>The project file of service <paramref name="name"/>.</summary>
    public static string ProjectPath(string name) => Metadata($"NvEmbed.Service.{name}.Project");

    private static string Metadata(string key) =>
        typeof(ServiceProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The AppHost was built without '{key}'. This is a bug in NvEmbed.AppHost.csproj.");
}
