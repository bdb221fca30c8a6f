using System.Collections.Concurrent;
using System.Diagnostics;
using NvEmbed.AppHost;
using NvEmbed.AppHost.Hosting;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// Starts the whole topology (gateway, api, tokenizer, inference) as real processes through the
/// AppHost's hosting code, on free ports, serving a tiny generated model of the target
/// architecture with the real Llama 3 tokenizer. Shared by the tests of <see cref="TopologyCollection"/>.
/// </summary>
public sealed class TopologyFixture : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(5);
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "nvembed-it-" + Guid.NewGuid().ToString("N")[..8]);
    private DistributedApplication? _app;

    /// <summary>The gateway's base URL.</summary>
    public Uri Gateway => _app!.GetEndpoint("gateway");

    /// <summary>The running application.</summary>
    public DistributedApplication App => _app!;

    /// <summary>Every line the services printed, prefixed with their names.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The served model directory.</summary>
    public string ModelDir => Path.Combine(_root, "model");

    public async Task InitializeAsync()
    {
        using var cts = new CancellationTokenSource(s_startTimeout);
        await CreateTinyModelAsync(ModelDir, cts.Token);

        var options = new DistributedApplicationOptions { DynamicPorts = true, Output = _lines.Enqueue };
        options.Configuration["NVEMBED_MODEL_DIR"] = ModelDir;
        var builder = DistributedApplicationBuilder.Create([], options);
        NvEmbedTopology.Add(builder);
        _app = builder.Build();
        try
        {
            await _app.StartAsync(cts.Token);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException("The topology did not start. Output:\n" + string.Join("\n", _lines.TakeLast(80)), ex);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }

    /// <summary>
    /// Generates a small model of the target architecture (bidirectional Llama, real Llama 3
    /// tokenizer) with the worker's own command line, as a user would.
    /// </summary>
    public static async Task CreateTinyModelAsync(string directory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            ServiceProjects.AssemblyPath("inference"), "create-model", "--out", directory,
            "--hidden", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--intermediate", "128",
            "--vocab", "128256", "--dtype", "fp32",
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"create-model failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }
    }
}

/// <summary>Tests that share one running topology.</summary>
[CollectionDefinition(Name)]
public sealed class TopologyCollection : ICollectionFixture<TopologyFixture>
{
    public const string Name = "topology";
}
