using System.Diagnostics;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Deploy;

/// <summary>
/// Runs the container tools (podman, podman-compose, deploy/containers' scripts) from the repository root as a user
/// would, with <c>CONTAINERS_CONF</c> pointing at deploy/containers/containers.conf unless the environment already names
/// one (the settings these hosts need: runc, lower ulimits).
/// </summary>
public static class ContainerCommand
{
    /// <summary>What a finished command printed.</summary>
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        /// <summary>The standard output's lines, without blank ones.</summary>
        public string[] Lines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit code {ExitCode}\n{StandardOutput}\n{StandardError}";
    }

    /// <summary>deploy/containers/containers.conf.</summary>
    public static string ContainersConf => Path.Combine(RepoPaths.Root, "deploy", "containers", "containers.conf");

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, killing it (and its children) when <paramref name="timeout"/> passes.</summary>
    public static async Task<Result> RunAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CONTAINERS_CONF")))
        {
            info.Environment["CONTAINERS_CONF"] = ContainersConf;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"{file} cannot be run ({ex.Message}): the container tests need podman, podman-compose, runc and mmdebstrap " +
                "(Debian packages; .ci/run installs them).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                await process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout}:\n{await stdout}\n{await stderr}");
            }

            return new Result(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary><c>podman args...</c>, which must succeed.</summary>
    public static async Task<Result> PodmanAsync(params string[] args)
    {
        var result = await RunAsync("podman", args, null, TimeSpan.FromMinutes(2));
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"podman {string.Join(' ', args)} failed: {result}");
    }
}
