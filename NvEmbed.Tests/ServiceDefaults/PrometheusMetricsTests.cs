using System.Diagnostics.Metrics;
using NvEmbed.ServiceDefaults.Metrics;

namespace NvEmbed.Tests.ServiceDefaults;

public class PrometheusMetricsTests
{
    [Fact]
    public void Render_CounterHistogramAndGauge_WritesPrometheusText()
    {
        // Arrange: a meter with a unique name so parallel tests do not mix their series.
        using var metrics = new PrometheusMetrics();
        using var meter = new Meter($"NvEmbed.Test.{Guid.NewGuid():N}");
        var counter = meter.CreateCounter<long>("nvembed.test.requests", description: "Requests served.");
        var histogram = meter.CreateHistogram<double>("nvembed.test.duration", unit: "s");
        var depth = 7;
        meter.CreateObservableGauge("nvembed.test.queue.depth", () => depth);

        // Act
        counter.Add(2, new KeyValuePair<string, object?>("route", "embed"));
        counter.Add(3, new KeyValuePair<string, object?>("route", "embed"));
        counter.Add(1, new KeyValuePair<string, object?>("route", "say \"hi\""));
        histogram.Record(0.003);
        histogram.Record(0.2);
        histogram.Record(60);
        var text = metrics.Render();

        // Assert
        Assert.Contains("# TYPE nvembed_test_requests_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_requests_total{route=\"embed\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_requests_total{route=\"say \\\"hi\\\"\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE nvembed_test_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_bucket{le=\"0.001\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_bucket{le=\"0.005\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_bucket{le=\"0.25\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_bucket{le=\"30\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_bucket{le=\"+Inf\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_count 3\n", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_duration_seconds_sum 60.203", text, StringComparison.Ordinal);
        Assert.Contains("nvembed_test_queue_depth 7\n", text, StringComparison.Ordinal);
    }
}
