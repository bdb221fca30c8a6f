using System.Diagnostics;
using System.Reflection;

namespace NvEmbed.Tests.Infrastructure;

/// <summary>The README's <c>dotnet run --project NvEmbed.AppHost</c>, on the build the tests run from (no launch profile).</summary>
public static class AppHostCommand
{
    /// <summary>A start info for <c>dotnet run --project NvEmbed.AppHost --no-build -c &lt;this build&gt; --no-launch-profile [-- appArgs]</c>.</summary>
    public static ProcessStartInfo StartInfo(params string[] appArgs)
    {
        var configuration = typeof(AppHostCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "run", "--project", "NvEmbed.AppHost", "--no-build", "-c", configuration, "--no-launch-profile" })
        {
            info.ArgumentList.Add(arg);
        }

        if (appArgs.Length > 0)
        {
            info.ArgumentList.Add("--");
            foreach (var arg in appArgs)
            {
                info.ArgumentList.Add(arg);
            }
        }

        return info;
    }
}
