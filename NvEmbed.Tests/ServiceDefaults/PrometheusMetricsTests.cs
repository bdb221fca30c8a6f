using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public void Render_TwoMetersSameInstrumentName_OneFamilySummed()
    {
        using var metrics = new PrometheusMetrics();
        var name = $"NvEmbed.Test.{Guid.NewGuid():N}";
        using var first = new Meter(name);
        using var second = new Meter(name);
        var instrument = $"nvembed.test.{Guid.NewGuid():N}.calls";
        first.CreateCounter<long>(instrument).Add(2);
        second.CreateCounter<long>(instrument).Add(3);

        var text = metrics.Render();

        var family = instrument.Replace('.', '_') + "_total";
        Assert.Single(text.Split('\n'), l => l == $"# TYPE {family} counter");
        Assert.Contains($"\n{family} 5\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MeterOfAnotherFactory_IsLeftOut()
    {
        // Arrange: two hosts' meter factories in one process, as when tests run in parallel.
        using var ours = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var ourFactory = ours.GetRequiredService<IMeterFactory>();
        var theirFactory = theirs.GetRequiredService<IMeterFactory>();
        using var metrics = new PrometheusMetrics(ourFactory);
        var instrument = $"nvembed.test.{Guid.NewGuid():N}.calls";

        // Act
        ourFactory.Create("NvEmbed.Test").CreateCounter<long>(instrument).Add(1);
        theirFactory.Create("NvEmbed.Test").CreateCounter<long>(instrument).Add(100);
        var text = metrics.Render();

        // Assert
        Assert.Contains($"\n{instrument.Replace('.', '_')}_total 1\n", text, StringComparison.Ordinal);
    }
}
