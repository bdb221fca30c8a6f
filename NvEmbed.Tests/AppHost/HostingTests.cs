using System.Collections.Concurrent;
using System.Diagnostics;
using NvEmbed.AppHost.Hosting;

namespace NvEmbed.Tests.AppHost;

public class HostingTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task StartAsync_GatewayOnly_IsHealthyAndStopLeavesNoProcess()
    {
        // Arrange: a topology of one real service process.
        var lines = new ConcurrentQueue<string>();
        var options = new DistributedApplicationOptions { DynamicPorts = true, Output = lines.Enqueue };
        var builder = DistributedApplicationBuilder.Create([], options);
        builder.AddProject("gateway").WithHttpEndpoint(port: 8000, isExternal: true).WithHealthCheck("/gateway/health/live");
        var app = builder.Build();

        // Act
        using var cts = new CancellationTokenSource(s_timeout);
        await app.StartAsync(cts.Token);
        var process = Assert.Single(app.Processes);
        var pid = process.ProcessId;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var live = await http.GetAsync(new Uri(app.GetEndpoint("gateway"), "/gateway/health/live"), cts.Token);
        await app.StopAsync().WaitAsync(s_timeout);

        // Assert
        Assert.True(live.IsSuccessStatusCode);
        Assert.NotEqual(8000, app.GetEndpoint("gateway").Port);
        Assert.False(IsRunning(pid), $"process {pid} is still running after StopAsync");
        Assert.Contains(lines, l => l.StartsWith("[gateway] ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_ServiceNeverHealthy_FailsWithItsOutputAndStopsIt()
    {
        // Arrange: a health path that never answers 200 and a short start-up limit.
        var options = new DistributedApplicationOptions { DynamicPorts = true, Output = _ => { } };
        var builder = DistributedApplicationBuilder.Create([], options);
        builder.AddProject("gateway").WithHttpEndpoint().WithHealthCheck("/no-such-path-is-healthy", TimeSpan.FromSeconds(3));
        var app = builder.Build();

        // Act
        using var cts = new CancellationTokenSource(s_timeout);
        var error = await Assert.ThrowsAsync<TimeoutException>(() => app.StartAsync(cts.Token));

        // Assert
        Assert.Contains("gateway was not ready", error.Message, StringComparison.Ordinal);
        Assert.Empty(app.Processes);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
