using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace NvEmbed.Api.Metrics;

/// <summary>
/// The Api's instruments (meter <c>NvEmbed.Api</c>, for OpenTelemetry) and the same figures as running totals for the
/// Prometheus text of /v1/metrics and /metrics.
/// </summary>
public sealed class ApiMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "NvEmbed.Api";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _tokens;
    private readonly Histogram<double> _tokenization;
    private readonly Histogram<double> _queue;
    private readonly Histogram<double> _inference;
    private readonly ConcurrentDictionary<(string Route, int Status), long> _requestTotals = new();
    private long _inputTotal;
    private long _tokenTotal;
    private long _rejectedTotal;
    private long _workerCallTotal;
    private long _tokenizationMicros;
    private long _queueMicros;
    private long _inferenceMicros;

    public ApiMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("nvembed.api.requests", "{request}", "HTTP requests answered, by route and status.");
        _inputs = meter.CreateCounter<long>("nvembed.api.inputs", "{input}", "Inputs embedded.");
        _tokens = meter.CreateCounter<long>("nvembed.api.tokens", "{token}", "Tokens fed to the model (prefixes and special tokens included).");
        _tokenization = meter.CreateHistogram<double>("nvembed.tokenization.duration", "s", "Time of the tokenizer call per request.");
        _queue = meter.CreateHistogram<double>("nvembed.queue.duration", "s", "Time a request waited in the worker's queue.");
        _inference = meter.CreateHistogram<double>("nvembed.inference.duration", "s", "Inference time of a request's batches.");
    }

    /// <summary>Counts one answered request.</summary>
    public void Answered(string route, int status)
    {
        _requestTotals.AddOrUpdate((route, status), 1, static (_, n) => n + 1);
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("http.route", route), new KeyValuePair<string, object?>("http.response.status_code", status));
        }
    }

    /// <summary>Counts a request refused by admission.</summary>
    public void Rejected() => Interlocked.Increment(ref _rejectedTotal);

    /// <summary>Records an embedded request.</summary>
    public void Embedded(int inputs, int tokens, TimeSpan tokenization, TimeSpan queue, TimeSpan inference, int workerCalls)
    {
        Interlocked.Add(ref _inputTotal, inputs);
        Interlocked.Add(ref _tokenTotal, tokens);
        Interlocked.Add(ref _workerCallTotal, workerCalls);
        Interlocked.Add(ref _tokenizationMicros, (long)tokenization.TotalMicroseconds);
        Interlocked.Add(ref _queueMicros, (long)queue.TotalMicroseconds);
        Interlocked.Add(ref _inferenceMicros, (long)inference.TotalMicroseconds);
        _inputs.Add(inputs);
        _tokens.Add(tokens);
        _tokenization.Record(tokenization.TotalSeconds);
        _queue.Record(queue.TotalSeconds);
        _inference.Record(inference.TotalSeconds);
    }

    /// <summary>The totals in the Prometheus text exposition format (version 0.0.4).</summary>
    public string ToPrometheusText(int inFlight)
    {
        var text = new StringBuilder();
        text.Append("# HELP nvembed_api_requests_total HTTP requests answered, by route and status.\n# TYPE nvembed_api_requests_total counter\n");
        foreach (var ((route, status), count) in _requestTotals.OrderBy(static e => e.Key.Route, StringComparer.Ordinal).ThenBy(static e => e.Key.Status))
        {
            text.Append(CultureInfo.InvariantCulture, $"nvembed_api_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}\n");
        }

        Counter(text, "nvembed_api_inputs_total", "Inputs embedded.", Interlocked.Read(ref _inputTotal));
        Counter(text, "nvembed_api_tokens_total", "Tokens fed to the model, prefixes and special tokens included.", Interlocked.Read(ref _tokenTotal));
        Counter(text, "nvembed_api_worker_calls_total", "Calls to inference workers.", Interlocked.Read(ref _workerCallTotal));
        Counter(text, "nvembed_api_rejected_total", "Requests refused because the admission limit was reached.", Interlocked.Read(ref _rejectedTotal));
        Counter(text, "nvembed_api_tokenization_seconds_total", "Time spent in tokenizer calls.", Interlocked.Read(ref _tokenizationMicros) / 1e6);
        Counter(text, "nvembed_api_queue_seconds_total", "Time requests waited in worker queues.", Interlocked.Read(ref _queueMicros) / 1e6);
        Counter(text, "nvembed_api_inference_seconds_total", "Inference time of requests.", Interlocked.Read(ref _inferenceMicros) / 1e6);
        text.Append("# HELP nvembed_api_requests_in_flight Requests admitted and not yet answered.\n# TYPE nvembed_api_requests_in_flight gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"nvembed_api_requests_in_flight {inFlight}\n");
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, double value) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
}
