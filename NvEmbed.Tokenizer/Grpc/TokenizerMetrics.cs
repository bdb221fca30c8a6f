using System.Diagnostics.Metrics;

namespace NvEmbed.Tokenizer.Grpc;

/// <summary>
/// The tokenizer service's metrics, on meter <c>NvEmbed.Tokenizer</c> from <see cref="IMeterFactory"/> (so the
/// service's Prometheus endpoint and OpenTelemetry see them): Encode duration, inputs and tokens encoded, the
/// worker queue depth and Encode calls refused with RESOURCE_EXHAUSTED.
/// </summary>
public sealed class TokenizerMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "NvEmbed.Tokenizer";

    private readonly Histogram<double> _encodeDuration;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _rejected;

    /// <summary>Creates the instruments; the queue depth is read from <paramref name="pool"/> when observed.</summary>
    public TokenizerMetrics(IMeterFactory meterFactory, TokenizerWorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(pool);
        var meter = meterFactory.Create(MeterName);
        _encodeDuration = meter.CreateHistogram<double>("nvembed.tokenizer.encode.duration", "s", "Duration of Encode calls, queueing included.");
        _inputs = meter.CreateCounter<long>("nvembed.tokenizer.inputs", "{input}", "Texts received by Encode.");
        _tokens = meter.CreateCounter<long>("nvembed.tokenizer.tokens", "{token}", "Token ids returned by Encode.");
        _rejected = meter.CreateCounter<long>("nvembed.tokenizer.rejected", "{call}", "Encode calls refused with RESOURCE_EXHAUSTED because the worker queue was full.");
        meter.CreateObservableGauge("nvembed.tokenizer.queue.depth", () => pool.Queued, "{item}", "Work items waiting or running on the worker pool.");
    }

    /// <summary>Records a completed Encode call.</summary>
    public void Encoded(int inputs, long tokens, TimeSpan duration)
    {
        _inputs.Add(inputs);
        _tokens.Add(tokens);
        _encodeDuration.Record(duration.TotalSeconds);
    }

    /// <summary>Records an Encode call refused because the queue was full.</summary>
    public void Rejected(int inputs)
    {
        _inputs.Add(inputs);
        _rejected.Add(1);
    }
}
