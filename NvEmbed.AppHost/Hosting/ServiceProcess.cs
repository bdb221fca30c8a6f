using System.Diagnostics;
using System.Runtime.InteropServices;

namespace NvEmbed.AppHost.Hosting;

/// <summary>One running replica of a service: its process, its ports and the last lines it printed.</summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private const int KeptLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _recentLines = new();
    private readonly Task _output;

    private ServiceProcess(ProjectResource resource, int replica, IReadOnlyDictionary<string, int> ports, Process process, LogSink log)
    {
        Resource = resource;
        Replica = replica;
        Ports = ports;
        _process = process;
        DisplayName = resource.Replicas > 1 ? $"{resource.Name}-{replica}" : resource.Name;
        _output = Task.WhenAll(Pump(process.StandardOutput, log), Pump(process.StandardError, log));
    }

    public ProjectResource Resource { get; }

    public int Replica { get; }

    /// <summary>"tokenizer", or "inference-1" for a replica of a replicated service.</summary>
    public string DisplayName { get; }

    /// <summary>Port of each endpoint, by endpoint name.</summary>
    public IReadOnlyDictionary<string, int> Ports { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The URL of endpoint <paramref name="endpointName"/> on the loopback interface.</summary>
    public Uri Url(string endpointName) => new($"http://127.0.0.1:{Ports[endpointName]}");

    /// <summary>The last lines the process printed, for error messages.</summary>
    public IReadOnlyList<string> RecentLines
    {
        get
        {
            lock (_recentLines)
            {
                return [.. _recentLines];
            }
        }
    }

    /// <summary>Starts <c>dotnet &lt;assembly&gt;</c> with <paramref name="environment"/> added to the AppHost's own.</summary>
    public static ServiceProcess Start(
        ProjectResource resource, int replica, IReadOnlyDictionary<string, int> ports, IReadOnlyDictionary<string, string> environment, LogSink log)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(resource.AssemblyPath)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(resource.AssemblyPath);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"dotnet did not start for {resource.Name}.");
        return new ServiceProcess(resource, replica, ports, process, log);
    }

    /// <summary>
    /// Polls the health path on the "http" endpoint until it answers 200. Fails when the process
    /// exits or <see cref="ProjectResource.StartupTimeout"/> passes.
    /// </summary>
    public async Task WaitHealthyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var url = new Uri(Url("http"), Resource.HealthPath);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{DisplayName} exited with code {_process.ExitCode} before it was ready. Its last lines:\n  " + string.Join("\n  ", RecentLines));
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await http.GetAsync(url, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // That probe timed out; try again.
            }

            if (deadline.Elapsed > Resource.StartupTimeout)
            {
                throw new TimeoutException($"{DisplayName} was not ready at {url} within {Resource.StartupTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Completes when the process exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Asks the process to stop (SIGTERM), then kills it and its children after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        await _output;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private async Task Pump(StreamReader reader, LogSink log)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (_recentLines)
            {
                if (_recentLines.Count == KeptLines)
                {
                    _recentLines.Dequeue();
                }

                _recentLines.Enqueue(line);
            }

            log.Line(DisplayName, line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
