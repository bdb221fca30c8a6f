using System.Diagnostics.Metrics;

namespace NvEmbed.Api.Metrics;

/// <summary>
/// The Api's instruments (meter <c>NvEmbed.Api</c>). ServiceDefaults' OpenTelemetry Prometheus exporter serves them on
/// /metrics and /v1/metrics, and OTLP carries them to the dashboard or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
/// </summary>
public sealed class ApiMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NvEmbed.Api";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _workerCalls;
    private readonly Histogram<double> _tokenization;
    private readonly Histogram<double> _queue;
    private readonly Histogram<double> _inference;

    public ApiMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("nvembed.api.requests", "{request}", "HTTP requests answered by the Api, by route and status (499: the client went away).");
        _rejected = meter.CreateCounter<long>("nvembed.api.rejected", "{request}", "Requests refused because the admission limit (NIM_SERVER_MAX_QUEUE_SIZE) was reached.");
        _inputs = meter.CreateCounter<long>("nvembed.api.inputs", "{input}", "Inputs embedded.");
        _tokens = meter.CreateCounter<long>("nvembed.api.tokens", "{token}", "Tokens fed to the model, prefixes and special tokens included.");
        _workerCalls = meter.CreateCounter<long>("nvembed.api.worker_calls", "{call}", "Calls to inference workers (a request over the per-call token budget makes several).");
        _tokenization = meter.CreateHistogram<double>("nvembed.tokenization.duration", "s", "Time of the tokenizer call of a request.");
        _queue = meter.CreateHistogram<double>("nvembed.queue.duration", "s", "Time a request waited in the worker's queue.");
        _inference = meter.CreateHistogram<double>("nvembed.inference.duration", "s", "Inference time of a request's batches.");
    }

    /// <summary>Counts one answered request.</summary>
    public void Answered(string route, int status)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("status", status));
        }
    }

    /// <summary>Counts a request refused by admission.</summary>
    public void Rejected() => _rejected.Add(1);

    /// <summary>Records an embedded request.</summary>
    public void Embedded(int inputs, int tokens, TimeSpan tokenization, TimeSpan queue, TimeSpan inference, int workerCalls)
    {
        _inputs.Add(inputs);
        _tokens.Add(tokens);
        _workerCalls.Add(workerCalls);
        _tokenization.Record(tokenization.TotalSeconds);
        _queue.Record(queue.TotalSeconds);
        _inference.Record(inference.TotalSeconds);
    }
}
