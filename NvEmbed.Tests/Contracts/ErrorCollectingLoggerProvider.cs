using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// Collects the Error (and worse) log messages of a test server, so a test can check none was unexpected. Like
/// ServiceDefaults, it leaves out the health-check service's Error line for an unhealthy check: "not ready yet" is expected.
/// </summary>
public sealed class ErrorCollectingLoggerProvider(ConcurrentQueue<string> errors) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(errors, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> errors, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) =>
            logLevel >= LogLevel.Error && category != "Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService";

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{category}: {formatter(state, exception)} {exception?.GetType().Name}");
            }
        }
    }
}
