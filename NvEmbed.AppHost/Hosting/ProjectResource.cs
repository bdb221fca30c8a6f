namespace NvEmbed.AppHost.Hosting;

/// <summary>A .NET service of the topology, run as one process per replica.</summary>
public sealed class ProjectResource
{
    private readonly List<EndpointSpec> _endpoints = [];
    private readonly List<EndpointReference> _references = [];
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);

    internal ProjectResource(string name, string assemblyPath, string projectPath)
    {
        Name = name;
        AssemblyPath = assemblyPath;
        ProjectPath = projectPath;
    }

    /// <summary>The service's name: its log prefix, its key in the manifest and in <c>services__</c> variables.</summary>
    public string Name { get; }

    /// <summary>The built entry assembly.</summary>
    public string AssemblyPath { get; }

    /// <summary>The project file (for the manifest).</summary>
    public string ProjectPath { get; }

    /// <summary>Processes to run. Default 1.</summary>
    public int Replicas { get; private set; } = 1;

    /// <summary>HTTP path that answers 200 once the service is ready; polled on the "http" endpoint.</summary>
    public string HealthPath { get; private set; } = "/health/ready";

    /// <summary>How long the service may take to become ready. Default 2 minutes.</summary>
    public TimeSpan StartupTimeout { get; private set; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<EndpointSpec> Endpoints => _endpoints;

    public IReadOnlyList<EndpointReference> References => _references;

    /// <summary>Literal environment variables set for the service.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment;

    /// <summary>The model the service loads (as <c>NVEMBED_MODEL_DIR</c>), if any.</summary>
    public ModelResource? Model { get; private set; }

    /// <summary>Adds the HTTP/1.1 endpoint "http" (health, metrics, and the service's REST routes).</summary>
    public ProjectResource WithHttpEndpoint(int? port = null, bool isExternal = false) =>
        WithEndpoint(new EndpointSpec("http", Http2Only: false, port, isExternal));

    /// <summary>Adds the HTTP/2 cleartext endpoint "grpc".</summary>
    public ProjectResource WithGrpcEndpoint() => WithEndpoint(new EndpointSpec("grpc", Http2Only: true, Port: null, IsExternal: false));

    /// <summary>Makes <paramref name="target"/>'s endpoint known to this service; it starts after the target is ready.</summary>
    public ProjectResource WithReference(ProjectResource target, string endpointName)
    {
        if (!target.Endpoints.Any(e => e.Name == endpointName))
        {
            throw new ArgumentException($"Service '{target.Name}' has no endpoint '{endpointName}'.", nameof(endpointName));
        }

        _references.Add(new EndpointReference(target, endpointName));
        return this;
    }

    public ProjectResource WithEnvironment(string name, string value)
    {
        _environment[name] = value;
        return this;
    }

    /// <summary>Sets <c>NVEMBED_MODEL_DIR</c> to <paramref name="model"/>'s directory; the model is made ready before any service starts.</summary>
    public ProjectResource WithModel(ModelResource model)
    {
        Model = model;
        return this;
    }

    public ProjectResource WithReplicas(int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        Replicas = replicas;
        return this;
    }

    public ProjectResource WithHealthCheck(string path, TimeSpan? startupTimeout = null)
    {
        HealthPath = path;
        StartupTimeout = startupTimeout ?? StartupTimeout;
        return this;
    }

    private ProjectResource WithEndpoint(EndpointSpec endpoint)
    {
        if (_endpoints.Any(e => e.Name == endpoint.Name))
        {
            throw new ArgumentException($"Service '{Name}' already has an endpoint '{endpoint.Name}'.", nameof(endpoint));
        }

        _endpoints.Add(endpoint);
        return this;
    }
}
