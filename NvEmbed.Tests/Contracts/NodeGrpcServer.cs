using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// The reference gRPC implementation (@grpc/grpc-js) serving the test Echo service and health
/// (NvEmbed.Tests/js/grpc/echo-server.js) in a node process; stopped by closing its standard input.
/// </summary>
public sealed class NodeGrpcServer : IAsyncDisposable
{
    /// <summary>The receive limit the node server is started with, for the RESOURCE_EXHAUSTED test.</summary>
    public const int MaxReceiveMessageSize = 64 * 1024;

    private readonly Process _process;
    private readonly Task _stdoutPump;
    private readonly Task<string> _stderr;

    private NodeGrpcServer(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _stdoutPump = PumpAsync();
    }

    /// <summary><c>http://127.0.0.1:port</c> once started.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The text of each call the node server saw cancelled.</summary>
    public Channel<string> CancelledCalls { get; } = Channel.CreateUnbounded<string>();

    private TaskCompletionSource<int> Port { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<NodeGrpcServer> StartAsync(TimeSpan timeout)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepoPaths.JsDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(RepoPaths.JsDir, "grpc", "echo-server.js"));
        info.ArgumentList.Add(GrpcInteropPaths.TestProtoRoot);
        info.ArgumentList.Add(GrpcInteropPaths.HealthProtoRoot);
        info.ArgumentList.Add(MaxReceiveMessageSize.ToString(CultureInfo.InvariantCulture));
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var server = new NodeGrpcServer(process);
        try
        {
            var port = await server.Port.Task.WaitAsync(timeout);
            server.Address = new Uri($"http://127.0.0.1:{port}");
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }
        finally
        {
            await Task.WhenAny(_stdoutPump, Task.Delay(TimeSpan.FromSeconds(5)));
            _process.Dispose();
        }
    }

    private async Task PumpAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("PORT ", StringComparison.Ordinal))
            {
                Port.TrySetResult(int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture));
            }
            else if (line.StartsWith("CANCELLED ", StringComparison.Ordinal))
            {
                CancelledCalls.Writer.TryWrite(line[10..]);
            }
        }

        Port.TrySetException(new InvalidOperationException($"echo-server.js exited before listening: {await _stderr}"));
    }
}
