using System.Diagnostics;

namespace NvEmbed.Tests.Infrastructure;

/// <summary>Runs a Node.js script from NvEmbed.Tests/js (where the test build installed the npm packages).</summary>
public static class NodeScript
{
    /// <summary>What a finished script printed.</summary>
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    /// <summary>
    /// Runs <c>node &lt;script&gt; args...</c> with NvEmbed.Tests/js as the working directory, writing
    /// <paramref name="standardInput"/> (if any) to it, and kills it when <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<Result> RunAsync(string script, IEnumerable<string> args, string? standardInput, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.JsDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.IsPathRooted(script) ? script : Path.Combine(RepoPaths.JsDir, script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cts.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            return new Result(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within {timeout}.");
        }
    }
}
