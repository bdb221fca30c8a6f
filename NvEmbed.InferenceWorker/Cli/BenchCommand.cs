using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Batching;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>
/// <c>bench [--model-dir DIR] [--device cpu|cuda] [--device-id N] [--precision fp32|fp16|bf16] [--variant fused|fused-mha|plain]
/// [--shapes 1x32,32x32,...] [--seconds S] [--sessions N] [--threads N] [--spin 0|1] [--scheduler-seconds S] [--concurrency 64]
/// [--budgets 16384,...] [--via scheduler|grpc] [--profile PREFIX] [--oom-check TOKENS]</c>: times the backend on
/// fixed batch shapes (full rows, no padding) and prints one JSON line per shape (<c>B</c>, <c>S</c>,
/// <c>ms</c> per batch, <c>tok_s</c>), then drives the scheduler with a mixed load (70% queries of 8–48
/// tokens, 30% passages of 64–512) at each batch budget and prints one JSON line per budget and
/// concurrency. <c>--oom-check TOKENS</c> first warms a scheduler up at that (oversized) budget, prints the
/// budget it came down to after running out of device memory, and runs the mixed load at it.
/// </summary>
public static class BenchCommand
{
    /// <summary>The shapes the targets are stated for.</summary>
    public const string DefaultShapes = "1x32,32x32,256x32,16x512,64x512,128x512,8x2048,2x8192";

    // A point where nothing completed has NaN percentiles: written as "NaN" rather than failing the run.
    private static readonly JsonSerializerOptions s_json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandArguments args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var device = args.Get("device") ?? "cpu";
        var sessions = Math.Max(1, args.GetInt("sessions", 1));
        var shapes = ParseShapes(args.Get("shapes") ?? DefaultShapes);
        var seconds = args.GetFloat("seconds", 1f);
        var schedulerSeconds = args.GetInt("scheduler-seconds", 10);
        var concurrency = ParseInts(args.Get("concurrency") ?? "64", "concurrency");
        var defaultBudget = string.Equals(device, "cpu", StringComparison.OrdinalIgnoreCase) ? SchedulerOptions.CpuMaxBatchTokens : new SchedulerOptions().MaxBatchTokens;
        var budgets = ParseInts(args.Get("budgets") ?? defaultBudget.ToString(CultureInfo.InvariantCulture), "budgets");
        var viaGrpc = (args.Get("via") ?? "scheduler") switch
        {
            "scheduler" => false,
            "grpc" => true,
            var other => throw new CommandLineException($"--via must be scheduler or grpc, not '{other}'."),
        };
        var options = new OnnxBackendOptions
        {
            ExecutionProvider = device,
            DeviceId = args.GetInt("device-id", 0),
            Precision = args.Get("precision"),
            GraphVariant = BuildCommand.ParseVariant(args.Get("variant")),
            IntraOpThreads = OnnxBackendOptions.ThreadsPerSession(args.GetInt("threads", 0), sessions),
            AllowSpinning = args.GetInt("spin", 0) != 0,
            ProfileFilePrefix = args.Get("profile"),
        };
        var oomCheck = args.GetInt("oom-check", 0);
        var progress = new StderrProgress(error);
        var modelDir = args.Get("model-dir") ?? DefaultModel.EnsureCreated(OnnxModelLoader.DefaultCacheDir(), progress);
        args.RejectUnknown();

        var model = ModelDirectory.Open(modelDir);
        var backends = new List<OnnxBackend>();
        try
        {
            for (var i = 0; i < sessions; i++)
            {
                backends.Add(OnnxBackend.Open(model, options, progress));
            }

            var first = backends[0];
            var vocab = Math.Min(model.Config?.VocabSize ?? 32000, 32000);
            var describe = new Dictionary<string, object>
            {
                ["device"] = first.Info.ExecutionProvider,
                ["precision"] = first.Info.Precision,
                ["variant"] = GraphVariantName(modelDir),
                ["pinned"] = first.UsesCudaPinnedMemory,
            };
            foreach (var (rows, length) in shapes)
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(TimeShape(first, rows, length, seconds, vocab, describe), s_json)).ConfigureAwait(false);
                await output.FlushAsync().ConfigureAwait(false);
            }

            if (oomCheck > 0)
            {
                var lowered = await CheckOutOfMemoryAsync(backends, oomCheck).ConfigureAwait(false);
                await output.WriteLineAsync(JsonSerializer.Serialize(new Dictionary<string, object>(describe) { ["kind"] = "oom_check", ["asked"] = oomCheck, ["budget"] = lowered }, s_json)).ConfigureAwait(false);
                budgets = [lowered];
            }

            if (schedulerSeconds > 0)
            {
                foreach (var budget in budgets)
                {
                    foreach (var callers in concurrency)
                    {
                        var schedulerOptions = new SchedulerOptions { MaxBatchTokens = budget, MaxQueueTokens = Math.Max(budget, new SchedulerOptions().MaxQueueTokens) };
                        var point = await SchedulerBenchmark.RunPointAsync(backends, schedulerOptions, callers, TimeSpan.FromSeconds(schedulerSeconds), 512, viaGrpc, vocab).ConfigureAwait(false);
                        var line = new Dictionary<string, object>(describe)
                        {
                            ["kind"] = "scheduler",
                            ["via"] = viaGrpc ? "grpc" : "scheduler",
                            ["sessions"] = sessions,
                            ["budget"] = budget,
                            ["callers"] = callers,
                            ["req_s"] = Math.Round(point.RequestsPerSecond, 1),
                            ["tok_s"] = Math.Round(point.TokensPerSecond),
                            ["p50_ms"] = Math.Round(point.P50, 2),
                            ["p99_ms"] = Math.Round(point.P99, 2),
                            ["padding"] = Math.Round(point.Padding, 4),
                            ["rows_per_batch"] = Math.Round(point.RowsPerBatch, 1),
                            ["errors"] = point.Errors,
                        };
                        await output.WriteLineAsync(JsonSerializer.Serialize(line, s_json)).ConfigureAwait(false);
                        await output.FlushAsync().ConfigureAwait(false);
                    }
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

    /// <summary>Warms a scheduler up at <paramref name="budget"/> tokens on every session and returns the budget it ended with.</summary>
    private static async Task<int> CheckOutOfMemoryAsync(IReadOnlyList<IEmbeddingBackend> backends, int budget)
    {
        using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new SchedulerMetrics(Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(services));
        var scheduler = new EmbeddingScheduler(backends, new SchedulerOptions { MaxBatchTokens = budget, MaxQueueTokens = budget, MaxBatchRows = 1 << 16 }, metrics, Microsoft.Extensions.Logging.Abstractions.NullLogger<EmbeddingScheduler>.Instance);
        try
        {
            scheduler.WarmUp();
            return scheduler.BatchTokens;
        }
        finally
        {
            await scheduler.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Parses <c>BxS</c> pairs separated by commas.</summary>
    public static (int Rows, int Length)[] ParseShapes(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var shapes = new List<(int, int)>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var sides = part.Split('x', 'X');
            if (sides.Length != 2
                || !int.TryParse(sides[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rows)
                || !int.TryParse(sides[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var length)
                || rows < 1 || length < 1)
            {
                throw new CommandLineException($"--shapes takes rows x length pairs such as 1x32,16x512, not '{part}'.");
            }

            shapes.Add((rows, length));
        }

        return shapes.Count > 0 ? [.. shapes] : throw new CommandLineException("--shapes is empty.");
    }

    /// <summary>
    /// Runs one shape once to warm up, then as often as fits in <paramref name="seconds"/> (at least 3
    /// times), and reports the median batch time. A shape that fails (out of memory, over the model's
    /// limit) is reported with its error and the benchmark goes on.
    /// </summary>
    private static Dictionary<string, object> TimeShape(OnnxBackend backend, int rows, int length, float seconds, int vocab, Dictionary<string, object> describe)
    {
        var line = new Dictionary<string, object>(describe) { ["kind"] = "shape", ["B"] = rows, ["S"] = length };
        var random = new Random((rows * 31) + length);
        var ids = new long[rows * length];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = random.Next(1, vocab);
        }

        var lengths = new int[rows];
        Array.Fill(lengths, length);
        var pooled = new float[rows * backend.Info.HiddenSize];
        var batch = new BackendBatch(rows, length, ids, lengths);
        try
        {
            backend.Run(batch, pooled);
            var times = new List<double>();
            var started = Stopwatch.GetTimestamp();
            while (times.Count < 3 || Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
            {
                var one = Stopwatch.GetTimestamp();
                backend.Run(batch, pooled);
                times.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
            }

            times.Sort();
            var ms = times[times.Count / 2];
            line["ms"] = Math.Round(ms, 3);
            line["tok_s"] = Math.Round(rows * length / (ms / 1000));
            line["runs"] = times.Count;
            line["ms_min"] = Math.Round(times[0], 3);
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or OutOfMemoryException)
        {
            line["error"] = ex.Message.Trim();
        }

        return line;
    }

    private static int[] ParseInts(string value, string name)
    {
        var values = new List<int>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            values.Add(int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new CommandLineException($"--{name} takes positive integers separated by commas, not '{part}'."));
        }

        return values.Count > 0 ? [.. values] : throw new CommandLineException($"--{name} is empty.");
    }

    private static string GraphVariantName(string modelDir) =>
        Models.Onnx.OnnxBuildManifest.TryLoad(Path.Combine(modelDir, ModelDirectory.OnnxFolderName))?.Variant ?? "ready-made";
}
