using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace NvEmbed.Tests.InferenceWorker.Batching;

/// <summary>Owns an <see cref="IMeterFactory"/> and records every measurement of the meters it creates.</summary>
public sealed class MetricCapture : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();

    public MetricCapture()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Factory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, Factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    public IMeterFactory Factory { get; }

    public ConcurrentQueue<(string Name, double Value, string? Reason)> Measurements { get; } = new();

    public double Sum(string name, string? reason = null) =>
        Measurements.Where(m => m.Name == name && (reason is null || m.Reason == reason)).Sum(m => m.Value);

    public IReadOnlyList<double> Values(string name) =>
        Measurements.Where(m => m.Name == name).Select(m => m.Value).ToList();

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? reason = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "reason")
            {
                reason = tag.Value as string;
            }
        }

        Measurements.Enqueue((instrument.Name, value, reason));
    }
}
