using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace NvEmbed.ServiceDefaults.Hosting;

/// <summary>
/// Stops the service when the process that started it (the AppHost, named by
/// <c>NVEMBED_PARENT_PID</c>) is gone, so that even a killed AppHost leaves no orphan behind.
/// Does nothing when the variable is not set (Kubernetes, a service started by hand).
/// </summary>
public sealed partial class ParentProcessWatcher(IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration["NVEMBED_PARENT_PID"], out var parentId))
        {
            return;
        }

        using var timer = new PeriodicTimer(s_interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (!IsRunning(parentId))
            {
                LogParentGone(logger, parentId);
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The parent process {ParentId} is gone; stopping.")]
    private static partial void LogParentGone(ILogger logger, int parentId);
}
