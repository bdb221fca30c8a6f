using System.Diagnostics;
using System.Net.Http.Json;

namespace NvEmbed.Tests.Integration;

/// <summary>
/// Steady load through the gateway: <c>callers</c> loops, each posting one short NIM query after another, every answer
/// recorded with when it started and how long it took. Bounded: it stops when disposed or after <see cref="MaxDuration"/>.
/// </summary>
public sealed class LoadRun : IAsyncDisposable
{
    /// <summary>The longest a run may go on, whatever the test does.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(2);

    private readonly CancellationTokenSource _stop = new(MaxDuration);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Answer> _answers = [];
    private readonly HttpClient _http;
    private readonly Task[] _callers;

    private LoadRun(Uri gateway, int callers, TimeSpan requestTimeout)
    {
        _http = new HttpClient { BaseAddress = gateway, Timeout = requestTimeout };
        _callers = [.. Enumerable.Range(0, callers).Select(i => Task.Run(() => CallAsync(i)))];
    }

    /// <summary>One answered (or failed) request: start time since the run began, duration, HTTP status (0: no answer).</summary>
    public sealed record Answer(TimeSpan Started, TimeSpan Duration, int Status, string? Error);

    /// <summary>Time since the run began.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Starts <paramref name="callers"/> concurrent callers against <paramref name="gateway"/>.</summary>
    public static LoadRun Start(Uri gateway, int callers = 8, TimeSpan? requestTimeout = null) =>
        new(gateway, callers, requestTimeout ?? TimeSpan.FromSeconds(60));

    /// <summary>Stops the callers and returns every answer, in start order.</summary>
    public async Task<IReadOnlyList<Answer>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_callers);
        lock (_answers)
        {
            return [.. _answers.OrderBy(a => a.Started)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    /// <summary>A one-line summary for assertion messages: counts by status and the failures' first errors.</summary>
    public static string Describe(IReadOnlyList<Answer> answers, TimeSpan? fault = null)
    {
        var byStatus = string.Join(", ", answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        var failures = answers.Where(a => a.Status != 200).Take(5)
            .Select(a => $"[{a.Started.TotalSeconds:F2}s +{a.Duration.TotalMilliseconds:F0}ms {a.Status} {a.Error}]");
        return $"{answers.Count} requests ({byStatus}), fault at {fault?.TotalSeconds:F2}s; first failures: {string.Join(" ", failures)}";
    }

    private async Task CallAsync(int caller)
    {
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var started = _clock.Elapsed;
            int status;
            string? error = null;
            try
            {
                using var response = await _http.PostAsJsonAsync(
                    "/v1/embeddings", new { input = new[] { $"caller {caller} query {i}: what is an embedding?" }, model = "any", input_type = "query" }, CancellationToken.None);
                status = (int)response.StatusCode;
                if (status != 200)
                {
                    error = await response.Content.ReadAsStringAsync(CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                status = 0;
                error = ex.GetType().Name + ": " + ex.Message;
            }

            lock (_answers)
            {
                _answers.Add(new Answer(started, _clock.Elapsed - started, status, error));
            }
        }
    }
}
