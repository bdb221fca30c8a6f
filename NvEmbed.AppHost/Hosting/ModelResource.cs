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

    internal ModelResource(string? configuredDirectory, string cacheRoot)
    {
        IsDefault = string.IsNullOrWhiteSpace(configuredDirectory);
        Directory = IsDefault ? Path.Combine(cacheRoot, "models", "default") : Path.GetFullPath(configuredDirectory!);
    }

    /// <summary>True when no model was configured and the embedded default is served.</summary>
    public bool IsDefault { get; }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

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
        foreach (var arg in new[] { ServiceProjects.AssemblyPath("inference"), "create-model", "--default", "--out", Directory })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ORT_DISABLE_TELEMETRY"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        var output = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
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
            throw new InvalidOperationException($"Creating the default model in '{Directory}' failed (exit code {process.ExitCode}); see the [model] lines above.");
        }

        async Task Pump(StreamReader reader)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                log(line);
            }
        }
    }
}
