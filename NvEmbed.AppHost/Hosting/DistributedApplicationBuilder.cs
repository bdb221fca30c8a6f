using Microsoft.Extensions.Configuration;

namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// Describes the topology: services, their endpoints and references, and the model they serve.
/// A small stand-in for Aspire's builder (Aspire.Hosting is not on the registry here) with the
/// same conventions: <c>services__&lt;name&gt;__&lt;endpoint&gt;__&lt;i&gt;</c> variables and an Aspire manifest.
/// </summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<ProjectResource> _projects = [];

    private DistributedApplicationBuilder(string[] args, DistributedApplicationOptions options)
    {
        Args = args;
        Options = options;
        Configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .AddInMemoryCollection(options.Configuration)
            .Build();
    }

    /// <summary>Environment variables, then command-line arguments, then <see cref="DistributedApplicationOptions.Configuration"/>.</summary>
    public IConfiguration Configuration { get; }

    public DistributedApplicationOptions Options { get; }

    public IReadOnlyList<ProjectResource> Projects => _projects;

    public ModelResource? Model { get; private set; }

    internal string[] Args { get; }

    public static DistributedApplicationBuilder Create(string[] args, DistributedApplicationOptions? options = null) =>
        new(args, options ?? new DistributedApplicationOptions());

    /// <summary>Adds the service <paramref name="name"/> (one of the projects the AppHost references).</summary>
    public ProjectResource AddProject(string name)
    {
        if (_projects.Any(p => p.Name == name))
        {
            throw new ArgumentException($"A service named '{name}' was added already.", nameof(name));
        }

        var project = new ProjectResource(name, ServiceProjects.AssemblyPath(name), ServiceProjects.ProjectPath(name));
        _projects.Add(project);
        return project;
    }

    /// <summary>The model directory: NVEMBED_MODEL_DIR, or the embedded default.</summary>
    public ModelResource AddModel()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cacheRoot = Configuration["NIM_CACHE_PATH"] is { Length: > 0 } nimCache
            ? nimCache
            : Path.Combine(Configuration["XDG_CACHE_HOME"] is { Length: > 0 } xdg ? xdg : Path.Combine(home, ".cache"), "nvembed");
        Model = new ModelResource(Configuration["NVEMBED_MODEL_DIR"], cacheRoot);
        return Model;
    }

    /// <summary>An integer setting, or <paramref name="fallback"/>.</summary>
    public int GetInt(string key, int fallback) =>
        int.TryParse(Configuration[key], out var value) ? value : fallback;

    public DistributedApplication Build()
    {
        foreach (var project in _projects)
        {
            foreach (var reference in project.References)
            {
                if (_projects.IndexOf(reference.Target) > _projects.IndexOf(project))
                {
                    throw new InvalidOperationException($"'{project.Name}' references '{reference.Target.Name}', which must be added before it.");
                }
            }
        }

        return new DistributedApplication(this);
    }
}
