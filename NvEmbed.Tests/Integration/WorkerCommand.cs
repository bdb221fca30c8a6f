using System.Diagnostics;
using System.Text.Json;
using NvEmbed.AppHost.Hosting;

namespace NvEmbed.Tests.Integration;

/// <summary>Runs the worker's <c>embed</c> command: the model run outside the services, as a reference.</summary>
public static class WorkerCommand
{
    /// <summary>The full-dimension, normalised embedding of <paramref name="ids"/> from <c>embed --model-dir</c>.</summary>
    public static async Task<float[]> EmbedAsync(string modelDir, int[] ids)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { ServiceProjects.AssemblyPath("inference"), "embed", "--model-dir", modelDir })
        {
            info.ArgumentList.Add(arg);
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { ids }));
        process.StandardInput.Close();
        await process.WaitForExitAsync(cts.Token);
        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"embed failed ({process.ExitCode}): {await stderr}");
        }

        using var json = JsonDocument.Parse(output.Trim());
        return json.RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    }
}
