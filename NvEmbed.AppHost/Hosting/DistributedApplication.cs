using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// Runs the topology: makes the model ready, gives every endpoint a port, starts each service
/// once the services it references are ready, waits for health, and stops every process on
/// Ctrl-C, SIGTERM or when one of them dies. Also writes the deployment manifest.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(10);

    private readonly DistributedApplicationBuilder _builder;
    private readonly LogSink _log;
    private readonly List<ServiceProcess> _processes = [];
    private readonly Dictionary<(string Service, int Replica, string Endpoint), int> _ports = [];

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        _builder = builder;
        _log = new LogSink(builder.Options.Output);
    }

    /// <summary>The running processes, in start order.</summary>
    public IReadOnlyList<ServiceProcess> Processes
    {
        get
        {
            lock (_processes)
            {
                return [.. _processes];
            }
        }
    }

    /// <summary>The loopback URL of a service's endpoint.</summary>
    public Uri GetEndpoint(string service, string endpoint = "http", int replica = 0) =>
        _ports.TryGetValue((service, replica, endpoint), out var port)
            ? new Uri($"http://127.0.0.1:{port}")
            : throw new KeyNotFoundException($"No endpoint '{endpoint}' for {service} replica {replica}; was the application started?");

    /// <summary>
    /// The <c>dotnet run</c> entry: writes the manifest when asked (<c>--publisher manifest --output-path &lt;file&gt;</c>),
    /// otherwise starts everything and runs until Ctrl-C / SIGTERM. Returns the process exit code.
    /// </summary>
    public async Task<int> RunAsync()
    {
        var configuration = _builder.Configuration;
        if (configuration["publisher"] is { } publisher)
        {
            if (publisher != "manifest")
            {
                _log.Info($"Unknown publisher '{publisher}': only 'manifest' is supported.");
                return 2;
            }

            var outputPath = Path.GetFullPath(configuration["output-path"] ?? "aspire-manifest.json");
            ManifestWriter.Write(_builder, outputPath);
            _log.Info($"Wrote the manifest to {outputPath}");
            return 0;
        }

        using var stopping = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);

        try
        {
            await StartAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            _log.Info("Stopping before start-up finished.");
            await StopAsync();
            return 130;
        }
        catch (Exception ex)
        {
            _log.Info($"Start-up failed: {ex.Message}");
            await StopAsync();
            return 1;
        }

        PrintStatus();
        var anyExited = Task.WhenAny(Processes.Select(p => p.WaitForExitAsync(stopping.Token)));
        await Task.WhenAny(anyExited, Task.Delay(Timeout.Infinite, stopping.Token)).ContinueWith(_ => { }, TaskScheduler.Default);

        var crashed = Processes.FirstOrDefault(p => p.HasExited);
        if (!stopping.IsCancellationRequested && crashed is not null)
        {
            _log.Info($"{crashed.DisplayName} exited with code {crashed.ExitCode}; stopping everything.");
        }

        await StopAsync();
        return stopping.IsCancellationRequested ? 0 : 1;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!stopping.IsCancellationRequested)
            {
                _log.Info($"{context.Signal} received: stopping every service.");
                stopping.Cancel();
            }
        }
    }

    /// <summary>Starts every service and returns once all are ready. On failure everything started is stopped.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        AssignPorts();
        if (_builder.Model is { } model && _builder.Projects.Any(p => p.Model is not null))
        {
            _log.Info(model.IsDefault
                ? $"No NVEMBED_MODEL_DIR: serving the embedded default model (generated weights), cached in {model.Location}"
                : $"Serving the model in {model.Location}");
            await model.EnsureAsync(line => _log.Line("model", line), cancellationToken);
            _log.Info($"Model directory: {model.Directory}");
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var ready = new Dictionary<ProjectResource, Task>();
        foreach (var project in _builder.Projects)
        {
            var dependencies = project.References.Select(r => ready[r.Target]).Distinct().ToArray();
            ready[project] = StartWhenReadyAsync(project, dependencies, http, failed);
        }

        try
        {
            await Task.WhenAll(ready.Values);
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    /// <summary>Stops every process: SIGTERM, then a kill after a grace period. Nothing is left running.</summary>
    public async Task StopAsync()
    {
        var processes = Processes;
        await Task.WhenAll(processes.Select(p => p.StopAsync(s_stopGrace)));
        lock (_processes)
        {
            _processes.Clear();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartWhenReadyAsync(ProjectResource project, Task[] dependencies, HttpClient http, CancellationTokenSource failed)
    {
        try
        {
            await Task.WhenAll(dependencies);
            var replicas = new List<ServiceProcess>();
            for (var replica = 0; replica < project.Replicas; replica++)
            {
                failed.Token.ThrowIfCancellationRequested();
                var ports = project.Endpoints.ToDictionary(e => e.Name, e => _ports[(project.Name, replica, e.Name)]);
                var process = ServiceProcess.Start(project, replica, ports, EnvironmentFor(project, replica), _log);
                lock (_processes)
                {
                    _processes.Add(process);
                }

                replicas.Add(process);
            }

            await Task.WhenAll(replicas.Select(p => p.WaitHealthyAsync(http, failed.Token)));
            _log.Info($"{project.Name} is ready ({project.Replicas} replica{(project.Replicas == 1 ? "" : "s")}).");
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
    }

    private Dictionary<string, string> EnvironmentFor(ProjectResource project, int replica)
    {
        var environment = new Dictionary<string, string>(project.Environment, StringComparer.Ordinal)
        {
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["NVEMBED_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ORT_DISABLE_TELEMETRY"] = "1",
        };
        foreach (var endpoint in project.Endpoints)
        {
            var host = endpoint.IsExternal ? "*" : "127.0.0.1";
            environment[$"Kestrel__Endpoints__{endpoint.Name}__Url"] = $"http://{host}:{_ports[(project.Name, replica, endpoint.Name)]}";
            environment[$"Kestrel__Endpoints__{endpoint.Name}__Protocols"] = endpoint.Http2Only ? "Http2" : "Http1";
        }

        foreach (var reference in project.References)
        {
            for (var i = 0; i < reference.Target.Replicas; i++)
            {
                environment[$"services__{reference.Target.Name}__{reference.EndpointName}__{i}"] =
                    $"http://127.0.0.1:{_ports[(reference.Target.Name, i, reference.EndpointName)]}";
            }
        }

        if (project.Model is { } model)
        {
            environment["NVEMBED_MODEL_DIR"] = model.Directory;
        }

        return environment;
    }

    private void AssignPorts()
    {
        _ports.Clear();
        foreach (var project in _builder.Projects)
        {
            for (var replica = 0; replica < project.Replicas; replica++)
            {
                foreach (var endpoint in project.Endpoints)
                {
                    var port = endpoint.Port is { } fixedPort && !_builder.Options.DynamicPorts && replica == 0 ? fixedPort : FreePort();
                    _ports[(project.Name, replica, endpoint.Name)] = port;
                }
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void PrintStatus()
    {
        var external = _builder.Projects.SelectMany(p => p.Endpoints.Where(e => e.IsExternal).Select(e => (p, e))).FirstOrDefault();
        var publicUrl = external.p is null ? null : $"http://localhost:{_ports[(external.p.Name, 0, external.e.Name)]}";
        var lines = new List<string>
        {
            "",
            $"  {"service",-12} {"pid",-8} {"endpoints",-50} status",
        };
        foreach (var process in Processes)
        {
            var endpoints = string.Join(" ", process.Ports.Select(p => $"{p.Key}=:{p.Value}"));
            lines.Add($"  {process.DisplayName,-12} {process.ProcessId,-8} {endpoints,-50} {(process.HasExited ? "exited" : "ready")}");
        }

        if (publicUrl is not null)
        {
            lines.Add("");
            lines.Add($"  NvEmbed is ready at {publicUrl}  (Ctrl-C stops every service)");
            lines.Add($"  curl -s {publicUrl}/v1/embeddings -H 'Content-Type: application/json' \\");
            lines.Add("    -d '{\"input\": [\"What is NvEmbed?\"], \"model\": \"nvidia/llama-3.2-nv-embedqa-1b-v2\", \"input_type\": \"query\"}'");
        }

        foreach (var line in lines)
        {
            _log.Info(line);
        }
    }
}
