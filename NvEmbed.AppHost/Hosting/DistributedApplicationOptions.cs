namespace NvEmbed.AppHost.Hosting;

/// <summary>How the AppHost runs the topology. The defaults are those of <c>dotnet run</c>; tests change them.</summary>
public sealed class DistributedApplicationOptions
{
    /// <summary>When true, every port is chosen free at start, the public one included. Default false (8000).</summary>
    public bool DynamicPorts { get; set; }

    /// <summary>Where output lines go; null writes to the console. Tests collect them.</summary>
    public Action<string>? Output { get; set; }

    /// <summary>Configuration values that override the environment (e.g. NVEMBED_MODEL_DIR).</summary>
    public IDictionary<string, string?> Configuration { get; } = new Dictionary<string, string?>();
}
