using System.Diagnostics;
using System.Globalization;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tests.Integration;
using Xunit.Abstractions;

namespace NvEmbed.Tests.AppHost;

/// <summary>
/// `dotnet run --project NvEmbed.AppHost` as a user runs it (public ports and dashboard moved to free ports), then
/// SIGTERM: every process it started, DCP's and the dashboard's included, is gone. Also reports time to ready and the
/// topology's memory.
/// </summary>
public sealed class ShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigterm_RunningAppHost_StopsEveryProcessItStarted()
    {
        // Arrange
        var root = Path.Combine(Path.GetTempPath(), "nvembed-stop-" + Guid.NewGuid().ToString("N")[..8]);
        var modelDir = Path.Combine(root, "model");
        await WorkerCommand.CreateTinyModelAsync(modelDir);
        var httpPort = FreePort.Next();
        var info = AppHostCommand.StartInfo();
        info.Environment["NVEMBED_MODEL_DIR"] = modelDir;
        info.Environment["NIM_HTTP_API_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["NIM_GRPC_API_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}";
        info.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.Next()}";
        info.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.Next()}";
        info.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        info.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";

        var started = Stopwatch.StartNew();
        using var appHost = Process.Start(info)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        appHost.OutputDataReceived += (_, e) => Collect(e.Data);
        appHost.ErrorDataReceived += (_, e) => Collect(e.Data);
        appHost.BeginOutputReadLine();
        appHost.BeginErrorReadLine();
        IReadOnlyList<int> ownProcesses = [];
        try
        {
            // Act
            await Task.WhenAny(ready.Task, appHost.WaitForExitAsync(), Task.Delay(s_readyTimeout));
            Assert.True(ready.Task.IsCompleted, "the AppHost never printed its ready line:\n" + Tail());
            var timeToReady = started.Elapsed;
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            {
                using var health = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/v1/health/ready"));
                Assert.True(health.IsSuccessStatusCode, $"ready line printed but /v1/health/ready answered {(int)health.StatusCode}");
            }

            ownProcesses = OwnProcesses(appHost.Id);
            var rss = ownProcesses.Sum(ProcessTree.ResidentBytes);
            output.WriteLine($"ready after {timeToReady.TotalSeconds:F1} s; {ownProcesses.Count} processes, RSS {rss / (1024 * 1024)} MiB in all");
            Signal(appHost.Id, "TERM");
            var stopping = Stopwatch.StartNew();
            while (ownProcesses.Any(ProcessTree.IsRunning) && stopping.Elapsed < s_stopTimeout)
            {
                await Task.Delay(250);
            }

            // Assert
            var left = ownProcesses.Where(ProcessTree.IsRunning).ToList();
            output.WriteLine($"stopped in {stopping.Elapsed.TotalSeconds:F1} s");
            Assert.True(left.Count == 0, $"still running {s_stopTimeout.TotalSeconds:F0} s after SIGTERM: " + string.Join(", ", left.Select(Describe)));
        }
        finally
        {
            foreach (var pid in ownProcesses.Append(appHost.Id).Where(ProcessTree.IsRunning))
            {
                Signal(pid, "KILL");
            }

            Directory.Delete(root, recursive: true);
        }

        void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (lines)
            {
                lines.Add(line);
            }

            if (line.Contains("NvEmbed is ready at", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        string Tail()
        {
            lock (lines)
            {
                return string.Join("\n", lines.TakeLast(60));
            }
        }
    }

    // The `dotnet run` process, the AppHost under it, and DCP (which runs detached, watching the AppHost's pid) with the
    // dashboard and the services under DCP.
    private static List<int> OwnProcesses(int runPid)
    {
        var tree = ProcessTree.Descendants(runPid).Prepend(runPid).ToList();
        var dcp = tree.SelectMany(pid => ProcessTree.WithCommandLine($"--monitor {pid} ")).ToList();
        return [.. tree.Concat(dcp).Distinct()];
    }

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid} ({File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim()})";
        }
        catch (IOException)
        {
            return pid.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }
}
