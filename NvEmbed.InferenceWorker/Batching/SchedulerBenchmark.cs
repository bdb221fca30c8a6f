using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Inference.V1;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Extensions;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// <c>bench-scheduler</c>: drives the scheduler directly with a realistic mix of lengths (70% queries of
/// 8–48 tokens, 30% passages of 64–512) from closed-loop callers at several concurrencies, with batching on
/// and with batches of one row, and prints requests/s, tokens/s, p50/p99 latency and the padding ratio.
/// Not a test: it takes minutes.
/// </summary>
/// <remarks>
/// Options: <c>--backend synthetic|onnx</c>, <c>--model-dir DIR</c> (onnx; default: the embedded default
/// model), <c>--device cpu|cuda</c>, <c>--sessions N</c>, <c>--threads N</c> (onnx intra-op threads per session; default cores / sessions), <c>--concurrency 1,8,32</c>, <c>--seconds S</c> per point,
/// <c>--max-batch-tokens N</c>, <c>--max-length N</c> (cap on passage length), <c>--modes batched,single</c>,
/// <c>--via scheduler|grpc</c> (in process, or through the worker's gRPC service on loopback), <c>--max-padding R</c> (the scheduler's padding limit), <c>--probe</c> (first time the backend alone on a few batch shapes).
/// </remarks>
public static class SchedulerBenchmark
{
    /// <summary>Runs the benchmark (<paramref name="args"/>[0] is the command's name) and writes its table to <paramref name="output"/>; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var options = ParseOptions(args);
        var backendKind = Get(options, "backend", "synthetic");
        var sessions = int.Parse(Get(options, "sessions", "1"), CultureInfo.InvariantCulture);
        var seconds = double.Parse(Get(options, "seconds", "10"), CultureInfo.InvariantCulture);
        var budget = int.Parse(Get(options, "max-batch-tokens", "16384"), CultureInfo.InvariantCulture);
        var maxLength = int.Parse(Get(options, "max-length", "512"), CultureInfo.InvariantCulture);
        var concurrencies = Get(options, "concurrency", "1,8,32").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        var modes = Get(options, "modes", "batched,single").Split(',');
        var viaGrpc = Get(options, "via", "scheduler") == "grpc";
        var maxPadding = double.Parse(Get(options, "max-padding", new SchedulerOptions().MaxPaddingRatio.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        var threads = OnnxBackendOptions.ThreadsPerSession(int.Parse(Get(options, "threads", "0"), CultureInfo.InvariantCulture), sessions);
        var backends = new List<IEmbeddingBackend>();
        ModelDirectory? model = null;
        if (backendKind == "onnx")
        {
            var directory = options.TryGetValue("model-dir", out var dir) ? dir : DefaultModel.EnsureCreated(OnnxModelLoader.DefaultCacheDir(), new Progress<string>(line => output.WriteLine(line)));
            model = ModelDirectory.Open(directory);
        }
        else if (backendKind != "synthetic")
        {
            throw new ArgumentException($"Unknown --backend '{backendKind}': synthetic or onnx.");
        }

        for (var i = 0; i < sessions; i++)
        {
            backends.Add(model is null
                ? new SyntheticBackend(2048, 8192, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(1))
                : OnnxBackend.Open(model, new OnnxBackendOptions
                {
                    ExecutionProvider = Get(options, "device", "cpu"),
                    DeviceId = i,
                    IntraOpThreads = threads,
                }));
        }

        try
        {
            await output.WriteLineAsync($"backend {backendKind} ({backends[0].Info.ExecutionProvider}, {backends[0].Info.Precision}), {sessions} session(s) × {(model is null ? "-" : threads.ToString(CultureInfo.InvariantCulture))} thread(s), budget {budget} tokens, padding limit {maxPadding:P0}, {seconds:F0} s per point, {Environment.ProcessorCount} cores, via {(viaGrpc ? "gRPC (Kestrel h2c on loopback, the worker's own wiring)" : "the scheduler directly")}").ConfigureAwait(false);
            if (options.ContainsKey("probe"))
            {
                await ProbeAsync(backends[0], output).ConfigureAwait(false);
            }

            await output.WriteLineAsync("| mode | callers | req/s | tokens/s | p50 ms | p99 ms | padding | rows/batch | errors | RSS MiB start → end |").ConfigureAwait(false);
            await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|").ConfigureAwait(false);
            foreach (var mode in modes)
            {
                foreach (var callers in concurrencies)
                {
                    var schedulerOptions = new SchedulerOptions { MaxBatchTokens = budget, MaxBatchRows = mode == "single" ? 1 : 1024, MaxPaddingRatio = maxPadding };
                    var point = await RunPointAsync(backends, schedulerOptions, callers, TimeSpan.FromSeconds(seconds), maxLength, viaGrpc).ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"| {mode} | {callers} | {point.RequestsPerSecond:F1} | {point.TokensPerSecond:F0} | {point.P50:F1} | {point.P99:F1} | {point.Padding:P1} | {point.RowsPerBatch:F1} | {point.Errors} | {point.RssStart / 1048576.0:F0} → {point.RssEnd / 1048576.0:F0} |")).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var backend in backends)
            {
                backend.Dispose();
            }
        }

        return 0;
    }

    /// <summary>Times the backend alone on a few batch shapes: what batching can gain on this device.</summary>
    private static async Task ProbeAsync(IEmbeddingBackend backend, TextWriter output)
    {
        await output.WriteLineAsync("| rows × length | ms per batch | tokens/s |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---|").ConfigureAwait(false);
        foreach (var (rows, length) in new[] { (1, 16), (32, 16), (1, 32), (4, 32), (16, 32), (32, 32), (64, 32), (1, 256), (4, 256), (16, 256) })
        {
            var ids = new long[rows * length];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = 1 + (i % 5000);
            }

            var lengths = Enumerable.Repeat(length, rows).ToArray();
            var pooled = new float[rows * backend.Info.HiddenSize];
            backend.Run(new BackendBatch(rows, length, ids, lengths), pooled);
            const int repeats = 3;
            var started = Stopwatch.GetTimestamp();
            for (var r = 0; r < repeats; r++)
            {
                backend.Run(new BackendBatch(rows, length, ids, lengths), pooled);
            }

            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds / repeats;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {rows} × {length} | {ms:F1} | {rows * length / (ms / 1000):F0} |")).ConfigureAwait(false);
        }
    }

    /// <summary>A length from the mix: 70% queries (8–48 tokens), 30% passages (64–<paramref name="maxLength"/>).</summary>
    public static int NextLength(Random random, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < 0.7 ? random.Next(8, 49) : random.Next(64, Math.Max(65, maxLength + 1));
    }

    internal static async Task<Point> RunPointAsync(IReadOnlyList<IEmbeddingBackend> backends, SchedulerOptions options, int callers, TimeSpan duration, int maxLength, bool viaGrpc, int vocabSize = 32000)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var counting = backends.Select(b => new CountingBackend(b)).ToArray();
        var measuring = 0;
        ITarget target = viaGrpc
            ? await GrpcTarget.StartAsync(counting, options).ConfigureAwait(false)
            : SchedulerTarget.Start(counting, options, meterFactory);
        await using var targetScope = target.ConfigureAwait(false);
        var latencies = new List<double>[callers];
        var tokens = new long[callers];
        var errors = 0;
        var warmUp = TimeSpan.FromSeconds(Math.Min(10, duration.TotalSeconds / 4));
        var started = Stopwatch.GetTimestamp();
        var rssStart = 0L;
        var measureFrom = started + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            var caller = c;
            latencies[caller] = [];
            tasks[caller] = Task.Run(async () =>
            {
                var random = new Random(1000 + caller);
                while (true)
                {
                    var now = Stopwatch.GetTimestamp();
                    if (now >= end)
                    {
                        return;
                    }

                    if (now >= measureFrom && Interlocked.Exchange(ref measuring, 1) == 0)
                    {
                        Interlocked.Exchange(ref rssStart, Environment.WorkingSet);
                        foreach (var backend in counting)
                        {
                            backend.Reset();
                        }
                    }

                    var length = NextLength(random, maxLength);
                    var ids = new int[length];
                    for (var i = 0; i < length; i++)
                    {
                        ids[i] = random.Next(1, vocabSize);
                    }

                    var sent = Stopwatch.GetTimestamp();
                    try
                    {
                        await target.EmbedAsync(ids).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is EmbeddingException or GrpcCallException)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }

                    // Count what completes inside the window, whenever it was sent: with a slow backend and
                    // many callers a call can take longer than the window itself.
                    var completed = Stopwatch.GetTimestamp();
                    if (completed >= measureFrom && completed <= end)
                    {
                        latencies[caller].Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                        tokens[caller] += length;
                    }
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var rssEnd = Environment.WorkingSet;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var seconds = duration.TotalSeconds;
        return new Point(
            all.Length / seconds,
            tokens.Sum() / seconds,
            Percentile(all, 0.50),
            Percentile(all, 0.99),
            counting.Average(b => b.PaddingRatio),
            counting.Average(b => b.RowsPerBatch),
            errors,
            rssStart,
            rssEnd);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--probe")
            {
                options["probe"] = "true";
                continue;
            }

            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                if (i == 0)
                {
                    continue; // the command's own name
                }

                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }

            options[args[i][2..]] = args[++i];
        }

        return options;
    }

    private static string Get(IReadOnlyDictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out var value) ? value : fallback;

    internal readonly record struct Point(double RequestsPerSecond, double TokensPerSecond, double P50, double P99, double Padding, double RowsPerBatch, int Errors, long RssStart, long RssEnd);

    /// <summary>Where the callers send their sequences.</summary>
    private interface ITarget : IAsyncDisposable
    {
        Task EmbedAsync(int[] ids);
    }

    /// <summary>The scheduler, called in process.</summary>
    private sealed class SchedulerTarget(EmbeddingScheduler scheduler) : ITarget
    {
        public static SchedulerTarget Start(IReadOnlyList<IEmbeddingBackend> backends, SchedulerOptions options, System.Diagnostics.Metrics.IMeterFactory meterFactory)
        {
            var scheduler = new EmbeddingScheduler(backends, options, new SchedulerMetrics(meterFactory), NullLogger<EmbeddingScheduler>.Instance);
            scheduler.Start();
            return new SchedulerTarget(scheduler);
        }

        public Task EmbedAsync(int[] ids) => scheduler.EmbedAsync(ids, [0, ids.Length], 0, true, null, CancellationToken.None);

        public ValueTask DisposeAsync() => scheduler.DisposeAsync();
    }

    /// <summary>The worker as deployed (its own service wiring, Kestrel h2c on loopback), called through the gRPC transport.</summary>
    private sealed class GrpcTarget(WebApplication app, GrpcChannel channel) : ITarget
    {
        public static async Task<GrpcTarget> StartAsync(IReadOnlyList<IEmbeddingBackend> backends, SchedulerOptions options)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [SchedulerOptions.SectionName + ":MaxBatchTokens"] = options.MaxBatchTokens.ToString(CultureInfo.InvariantCulture),
                [SchedulerOptions.SectionName + ":MaxBatchRows"] = options.MaxBatchRows.ToString(CultureInfo.InvariantCulture),
                [SchedulerOptions.SectionName + ":MaxPaddingRatio"] = options.MaxPaddingRatio.ToString(CultureInfo.InvariantCulture),
                // The benchmark's backends are warm already; a short warm-up keeps each point quick.
                [SchedulerOptions.SectionName + ":WarmupSequenceLength"] = "16",
                [SchedulerOptions.SectionName + ":MaxQueueTokens"] = Math.Max(options.MaxQueueTokens, options.MaxBatchTokens).ToString(CultureInfo.InvariantCulture),
            });
            builder.Services.AddSingleton<IModelLoader>(new FixedModelLoader(backends));
            builder.AddInferenceWorkerServices();
            var app = builder.Build();
            app.MapInferenceWorker();
            await app.StartAsync().ConfigureAwait(false);
            await app.Services.GetRequiredService<InferenceRuntime>().Ready.ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new GrpcTarget(app, new GrpcChannel(new Uri(address)));
        }

        public Task EmbedAsync(int[] ids)
        {
            var request = new EmbedRequest();
            request.InputIds.AddRange(ids);
            request.CuSeqLengths.Add(0);
            request.CuSeqLengths.Add((uint)ids.Length);
            return channel.UnaryAsync(Grpc.InferenceGrpcService.ServiceName, "Embed", request, EmbedResponse.Parser);
        }

        public async ValueTask DisposeAsync()
        {
            channel.Dispose();
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Serves backends that are already open.</summary>
    private sealed class FixedModelLoader(IReadOnlyList<IEmbeddingBackend> backends) : IModelLoader
    {
        public LoadedModel Load(CancellationToken cancellationToken) =>
            new(backends, "benchmark", "benchmark", [backends[0].Info.HiddenSize], "benchmark");
    }

    /// <summary>Counts what the scheduler hands a backend: batches, rows, padded and real tokens.</summary>
    private sealed class CountingBackend(IEmbeddingBackend inner) : IEmbeddingBackend
    {
        private long _batches;
        private long _rows;
        private long _padded;
        private long _real;

        public BackendInfo Info => inner.Info;

        public double PaddingRatio => _padded == 0 ? 0 : 1 - ((double)_real / _padded);

        public double RowsPerBatch => _batches == 0 ? 0 : (double)_rows / _batches;

        public void Reset()
        {
            Interlocked.Exchange(ref _batches, 0);
            Interlocked.Exchange(ref _rows, 0);
            Interlocked.Exchange(ref _padded, 0);
            Interlocked.Exchange(ref _real, 0);
        }

        public void Run(BackendBatch batch, Span<float> pooled)
        {
            inner.Run(batch, pooled);
            var real = 0;
            foreach (var length in batch.Lengths.Span)
            {
                real += length;
            }

            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _rows, batch.Rows);
            Interlocked.Add(ref _padded, (long)batch.Rows * batch.SequenceLength);
            Interlocked.Add(ref _real, real);
        }

        public void Dispose()
        {
            // The benchmark disposes the inner backends once, after every point.
        }
    }
}
