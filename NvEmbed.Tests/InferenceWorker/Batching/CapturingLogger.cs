using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NvEmbed.Tests.InferenceWorker.Batching;

/// <summary>Keeps what was logged, so a test can fail on an unexpected error.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IEnumerable<string> Errors => Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
