using System.Diagnostics;
using NvEmbed.Tests.Infrastructure;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// Faults under steady load (8 callers through the gateway) on the 2-replica topology: kill -9 of a worker, a tokenizer
/// or an Api replica, and a frozen worker (SIGSTOP). Each test brings its replica back before it ends.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class FaultTests(AppHostFixture topology, ITestOutputHelper output)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_afterFault = TimeSpan.FromSeconds(6);

    // How soon the gateway must have stopped sending to a dead Api replica (its first failed forward does it).
    private static readonly TimeSpan s_noticeTime = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("inference-1")]
    [InlineData("tokenizer-1")]
    public async Task KillBackendReplica_UnderLoad_NoRequestFails(string replica)
    {
        using var cts = new CancellationTokenSource(s_timeout);
        try
        {
            // Arrange
            await using var load = LoadRun.Start(topology.Gateway);
            await Task.Delay(s_warmUp, cts.Token);

            // Act: kill -9 the replica's service process.
            var killedAt = load.Elapsed;
            Kill(topology.ServiceProcessId(replica), "KILL");
            await Task.Delay(s_afterFault, cts.Token);
            var answers = await load.StopAsync();

            // Assert: the Api retries an embedding call on the other replica (it is idempotent).
            output.WriteLine($"kill -9 {replica}: {LoadRun.Describe(answers, killedAt)}");
            Assert.Contains(answers, a => a.Started > killedAt + TimeSpan.FromSeconds(1) && a.Status == 200);
            Assert.True(answers.All(a => a.Status == 200), LoadRun.Describe(answers, killedAt));
        }
        finally
        {
            await topology.RestartAsync(replica, cts.Token);
        }
    }

    [Fact]
    public async Task KillApiReplica_UnderLoad_OnlyRequestsInFlightOnItFail()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        try
        {
            // Arrange
            await using var load = LoadRun.Start(topology.Gateway);
            await Task.Delay(s_warmUp, cts.Token);

            // Act
            var killedAt = load.Elapsed;
            Kill(topology.ServiceProcessId("api-1"), "KILL");
            await Task.Delay(s_afterFault, cts.Token);
            var answers = await load.StopAsync();

            // Assert: a failure is a request that was on api-1 when it died, or sent to it on an open connection before
            // the gateway noticed (its first failed forward takes api-1 out; a refused connect is retried on api-0).
            // Nothing sent a second after the kill may fail.
            var failed = answers.Where(a => a.Status != 200).ToList();
            var recovered = failed.Count == 0 ? TimeSpan.Zero : failed.Max(a => a.Started + a.Duration) - killedAt;
            output.WriteLine($"kill -9 api-1: {LoadRun.Describe(answers, killedAt)}; last failure answered {recovered.TotalSeconds:F2}s after the kill");
            Assert.All(failed, a => Assert.True(
                a.Started < killedAt + s_noticeTime, $"a request started {(a.Started - killedAt).TotalSeconds:F2}s after the kill failed: {a.Status} {a.Error}"));
            Assert.Contains(answers, a => a.Started > killedAt + s_noticeTime && a.Status == 200);
        }
        finally
        {
            await topology.RestartAsync("api-1", cts.Token);
        }
    }

    [Fact]
    public async Task FreezeWorker_UnderLoad_RequestsFailOverAndReadinessStaysUp()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        var frozen = topology.ServiceProcessId("inference-1");
        var worker1Metrics = new Uri(topology.Endpoint("inference-1"), "/metrics");
        try
        {
            // Arrange
            await using var load = LoadRun.Start(topology.Gateway, requestTimeout: TimeSpan.FromSeconds(30));
            await Task.Delay(s_warmUp, cts.Token);

            // Act: freeze the worker, probe the Api's readiness while it is frozen, then let it go.
            var frozenAt = load.Elapsed;
            Kill(frozen, "STOP");
            await Task.Delay(TimeSpan.FromSeconds(3), cts.Token);
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var probeClock = Stopwatch.StartNew();
            using var ready = await probe.GetAsync(new Uri(topology.Endpoint("api-0"), "/v1/health/ready"), cts.Token);
            var probeTime = probeClock.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(5), cts.Token);
            Kill(frozen, "CONT");
            var thawedAt = load.Elapsed;
            var rowsAtThaw = await PrometheusText.ReadAsync(worker1Metrics, "nvembed_worker_batch_rows_sum");
            await Task.Delay(TimeSpan.FromSeconds(4), cts.Token);
            var answers = await load.StopAsync();
            var rowsAfter = await PrometheusText.ReadAsync(worker1Metrics, "nvembed_worker_batch_rows_sum");

            // Assert
            var slowest = answers.Max(a => a.Duration);
            output.WriteLine($"SIGSTOP inference-1: {LoadRun.Describe(answers, frozenAt)}; slowest {slowest.TotalSeconds:F2}s; " +
                $"readiness {(int)ready.StatusCode} in {probeTime.TotalMilliseconds:F0} ms; worker rows after SIGCONT {rowsAfter - rowsAtThaw}");
            Assert.True(ready.IsSuccessStatusCode && probeTime < TimeSpan.FromSeconds(1),
                $"readiness answered {(int)ready.StatusCode} in {probeTime.TotalMilliseconds:F0} ms while one of two workers was frozen");
            Assert.True(answers.All(a => a.Status == 200), LoadRun.Describe(answers, frozenAt));
            Assert.True(slowest < TimeSpan.FromSeconds(10), $"a request took {slowest.TotalSeconds:F1} s: it waited on the frozen worker instead of failing over");
            Assert.True(rowsAfter > rowsAtThaw, $"inference-1 served nothing in the {(load.Elapsed - thawedAt).TotalSeconds:F0} s after SIGCONT");
        }
        finally
        {
            Kill(frozen, "CONT");
        }
    }

    [Fact]
    public async Task SteadyLoad_TwoReplicasEach_EveryTokenizerAndWorkerServesAShare()
    {
        // Arrange
        using var cts = new CancellationTokenSource(s_timeout);
        var counters = AppHostFixture.ReplicaNames("tokenizer").Select(r => (Replica: r, Metric: "nvembed_tokenizer_inputs_total"))
            .Concat(AppHostFixture.ReplicaNames("inference").Select(r => (Replica: r, Metric: "nvembed_worker_batch_rows_sum")))
            .ToList();
        var before = await ReadAllAsync(counters);

        // Act
        await using (var load = LoadRun.Start(topology.Gateway))
        {
            await Task.Delay(TimeSpan.FromSeconds(5), cts.Token);
            var answers = await load.StopAsync();
            Assert.True(answers.All(a => a.Status == 200), LoadRun.Describe(answers));
        }

        var after = await ReadAllAsync(counters);

        // Assert: calls go per call to every replica, so each of two serves a fair part (not all of one connection's).
        foreach (var service in new[] { "tokenizer", "inference" })
        {
            var deltas = counters.Select((c, i) => (c.Replica, Delta: after[i] - before[i])).Where(d => d.Replica.StartsWith(service, StringComparison.Ordinal)).ToList();
            var total = deltas.Sum(d => d.Delta);
            output.WriteLine($"{service}: " + string.Join(", ", deltas.Select(d => $"{d.Replica} {d.Delta} ({d.Delta / total:P0})")));
            Assert.All(deltas, d => Assert.True(d.Delta / total >= 0.2, $"{d.Replica} served {d.Delta} of {total}"));
        }
    }

    private async Task<double[]> ReadAllAsync(List<(string Replica, string Metric)> counters) =>
        await Task.WhenAll(counters.Select(c => PrometheusText.ReadAsync(new Uri(topology.Endpoint(c.Replica), "/metrics"), c.Metric)));

    // kill -<signal> <pid>: KILL, STOP, CONT.
    private static void Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit(5000);
    }
}
