using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace NvEmbed.ServiceDefaults.Metrics;

/// <summary>
/// Collects the process's .NET metrics with a <see cref="MeterListener"/> and writes them in the
/// Prometheus text exposition format (version 0.0.4). The Prometheus exporter packages are not on
/// the registry here, and this is all a scrape needs: counters, up-down counters, gauges and
/// histograms with cumulative buckets.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>The content type of the Prometheus text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly string[] s_meterPrefixes =
    [
        "NvEmbed", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http",
    ];

    private readonly MeterListener _listener = new();

    // By Prometheus name: instruments of the same name (several meters, or a meter re-created)
    // feed one series, so the text never repeats a metric family.
    private readonly ConcurrentDictionary<string, InstrumentSeries> _families = new(StringComparer.Ordinal);

    /// <summary>Collects from every matching meter in the process.</summary>
    public PrometheusMetrics()
        : this(meterFactory: null)
    {
    }

    /// <summary>
    /// Collects from the matching meters that <paramref name="meterFactory"/> created, and from
    /// meters created without a factory; meters of other hosts in the same process (tests run
    /// several) are left out. With a null factory, every matching meter counts.
    /// </summary>
    public PrometheusMetrics(IMeterFactory? meterFactory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var scope = instrument.Meter.Scope;
            if (Listens(instrument.Meter.Name) && (meterFactory is null || scope is null || ReferenceEquals(scope, meterFactory)))
            {
                var series = _families.GetOrAdd(InstrumentSeries.NameOf(instrument), static (_, i) => new InstrumentSeries(i), instrument);
                listener.EnableMeasurementEvents(instrument, series);
            }
        };
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Writes every collected series; observable instruments are read now.</summary>
    public async ValueTask WriteAsync(PipeWriter writer, CancellationToken cancellationToken)
    {
        var text = Render();
        await writer.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>The current metrics as Prometheus text.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var builder = new StringBuilder(4096);
        foreach (var series in _families.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            series.Write(builder);
        }

        return builder.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private static bool Listens(string meterName)
    {
        foreach (var prefix in s_meterPrefixes)
        {
            if (meterName.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The series (one per label set) of one instrument.</summary>
    private sealed class InstrumentSeries
    {
        // Seconds buckets as OpenTelemetry's default for durations; other units get decades.
        private static readonly double[] s_secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
        private static readonly double[] s_genericBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly Kind _kind;
        private readonly double[] _buckets;
        private readonly string _help;

        public InstrumentSeries(Instrument instrument)
        {
            _kind = KindOf(instrument);
            Name = NameOf(instrument);
            _help = (instrument.Description ?? instrument.Name).Replace('\n', ' ');
            _buckets = BucketsOf(instrument);
        }

        private enum Kind
        {
            Counter,
            UpDownCounter,
            Gauge,
            Histogram,
        }

        public string Name { get; }

        /// <summary>The Prometheus family name of <paramref name="instrument"/>.</summary>
        public static string NameOf(Instrument instrument) => PrometheusName(instrument, KindOf(instrument));

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            var series = _series.GetOrAdd(labels, static (_, buckets) => new Series(buckets.Length), _buckets);
            lock (series)
            {
                switch (_kind)
                {
                    case Kind.Counter:
                    case Kind.UpDownCounter:
                        series.Sum += value;
                        break;
                    case Kind.Gauge:
                        series.Sum = value;
                        break;
                    case Kind.Histogram:
                        series.Sum += value;
                        series.Count++;
                        var index = Array.BinarySearch(_buckets, value);
                        series.Buckets[index < 0 ? ~index : index]++;
                        break;
                }
            }
        }

        public void Write(StringBuilder output)
        {
            if (_series.IsEmpty)
            {
                return;
            }

            var type = _kind switch
            {
                Kind.Counter => "counter",
                Kind.Histogram => "histogram",
                _ => "gauge",
            };
            output.Append("# HELP ").Append(Name).Append(' ').Append(_help).Append('\n');
            output.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            foreach (var (labels, series) in _series.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                lock (series)
                {
                    if (_kind != Kind.Histogram)
                    {
                        Line(output, Name, labels, null, series.Sum);
                        continue;
                    }

                    long cumulative = 0;
                    for (var i = 0; i < _buckets.Length; i++)
                    {
                        cumulative += series.Buckets[i];
                        Line(output, Name + "_bucket", labels, Format(_buckets[i]), cumulative);
                    }

                    Line(output, Name + "_bucket", labels, "+Inf", series.Count);
                    Line(output, Name + "_sum", labels, null, series.Sum);
                    Line(output, Name + "_count", labels, null, series.Count);
                }
            }
        }

        private static void Line(StringBuilder output, string name, string labels, string? le, double value)
        {
            output.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                output.Append('{').Append(labels);
                if (le is not null)
                {
                    output.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                }

                output.Append('}');
            }

            output.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string Format(double value) => double.IsPositiveInfinity(value)
            ? "+Inf"
            : value.ToString("R", CultureInfo.InvariantCulture);

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.IsEmpty)
            {
                return "";
            }

            var sorted = tags.ToArray();
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var builder = new StringBuilder();
            foreach (var (key, value) in sorted)
            {
                if (builder.Length > 0)
                {
                    builder.Append(',');
                }

                builder.Append(Sanitize(key)).Append("=\"");
                foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
                {
                    _ = c switch
                    {
                        '\\' => builder.Append("\\\\"),
                        '"' => builder.Append("\\\""),
                        '\n' => builder.Append("\\n"),
                        _ => builder.Append(c),
                    };
                }

                builder.Append('"');
            }

            return builder.ToString();
        }

        private static Kind KindOf(Instrument instrument)
        {
            var type = instrument.GetType();
            var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
            if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>))
            {
                return Kind.Counter;
            }

            if (definition == typeof(UpDownCounter<>) || definition == typeof(ObservableUpDownCounter<>))
            {
                return Kind.UpDownCounter;
            }

            return definition == typeof(Histogram<>) ? Kind.Histogram : Kind.Gauge;
        }

        private static string PrometheusName(Instrument instrument, Kind kind)
        {
            var name = Sanitize(instrument.Name);
            var suffix = instrument.Unit switch
            {
                "s" => "_seconds",
                "ms" => "_milliseconds",
                "By" => "_bytes",
                _ => "",
            };
            if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
            {
                name += suffix;
            }

            // Observable counters report a running total, which Prometheus names *_total too.
            return kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
        }

        private static double[] BucketsOf(Instrument instrument)
        {
            if (instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised })
            {
                return [.. advised];
            }

            return instrument.Unit switch
            {
                "s" => s_secondsBuckets,
                "ms" => [.. s_secondsBuckets.Select(b => b * 1000)],
                _ => s_genericBuckets,
            };
        }

        private static string Sanitize(string name)
        {
            var chars = name.ToCharArray();
            for (var i = 0; i < chars.Length; i++)
            {
                var c = chars[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':'))
                {
                    chars[i] = '_';
                }
            }

            return char.IsAsciiDigit(chars[0]) ? "_" + new string(chars) : new string(chars);
        }

        private sealed class Series(int buckets)
        {
            public double Sum;
            public long Count;
            public readonly long[] Buckets = new long[buckets + 1];
        }
    }
}
