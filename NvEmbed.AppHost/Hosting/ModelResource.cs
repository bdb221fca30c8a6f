using System.Diagnostics;

namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// The model directory the tokenizer and the workers serve: <c>NVEMBED_MODEL_DIR</c> when set,
/// otherwise the embedded default, generated once by the worker's <c>create-model --default</c>
/// into the cache (<c>NIM_CACHE_PATH</c>, else <c>$XDG_CACHE_HOME/nvembed</c>, else <c>~/.cache/nvembed</c>).
/// </summary>
public sealed class ModelResource
{
    /// <summary>The manifest parameter that carries the model directory in a deployment.</summary>
    public const string ParameterName = "model-dir";

    private readonly string _cacheRoot;
    private string? _directory;

    internal ModelResource(string? configuredDirectory, string cacheRoot)
    {
        IsDefault = string.IsNullOrWhiteSpace(configuredDirectory);
        _cacheRoot = Path.Combine(cacheRoot, "models");
        _directory = IsDefault ? null : Path.GetFullPath(configuredDirectory!);
    }

    /// <summary>True when no model was configured and the embedded default is served.</summary>
    public bool IsDefault { get; }

    /// <summary>The model directory; for the default model, known once <see cref="EnsureAsync"/> has run.</summary>
    public string Directory => _directory ?? throw new InvalidOperationException("The default model's directory is known only after EnsureAsync. This is a bug.");

    /// <summary>Where it is, for messages: the directory, or the cache the default model goes to.</summary>
    public string Location => _directory ?? _cacheRoot;

    /// <summary>Makes sure the directory can be served: creates the default model if needed, checks a configured one exists.</summary>
    internal async Task EnsureAsync(Action<string> log, CancellationToken cancellationToken)
    {
        if (!IsDefault)
        {
            if (!System.IO.Directory.Exists(Directory))
            {
                throw new DirectoryNotFoundException($"NVEMBED_MODEL_DIR points at '{Directory}', which does not exist.");
            }

            return;
        }

        // create-model --default is idempotent and cached: it returns at once when the model exists.
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // It prints the model's directory (versioned inside the cache) on stdout, progress on stderr.
        foreach (var arg in new[] { ServiceProjects.AssemblyPath("inference"), "create-model", "--default", "--out", _cacheRoot })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ORT_DISABLE_TELEMETRY"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        string? printed = null;
        var output = Task.WhenAll(Pump(process.StandardOutput, line => printed = line), Pump(process.StandardError, log));
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await output;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Creating the default model in '{_cacheRoot}' failed (exit code {process.ExitCode}); see the [model] lines above.");
        }

        if (string.IsNullOrWhiteSpace(printed) || !System.IO.Directory.Exists(printed.Trim()))
        {
            throw new InvalidOperationException($"create-model --default printed no model directory (got '{printed}'). This is a bug.");
        }

        _directory = printed.Trim();

        static async Task Pump(StreamReader reader, Action<string> onLine)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                if (line.Length > 0)
                {
                    onLine(line);
                }
            }
        }
    }
}
