using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>
/// <c>embed --model-dir &lt;dir&gt; [--device cpu|cuda] [--device-id N] [--threads N] [--variant fused|fused-mha|plain]
/// [--precision ...] [--batch N]</c>: reads JSON lines <c>{"ids": [...]}</c> from stdin and writes
/// <c>{"embedding": [...]}</c> per line, in order (pooled, normalised, full dimension); builds onnx/ first
/// when it is missing. <c>--batch N</c> runs every N lines as one right-padded batch (default 1: each line
/// alone). A bad line gets <c>{"error": "..."}</c> and the command goes on.
/// </summary>
public static class EmbedCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static async Task<int> RunAsync(CommandArguments args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var options = new OnnxBackendOptions
        {
            ExecutionProvider = args.Get("device") ?? "cpu",
            IntraOpThreads = args.GetInt("threads", 0),
            GraphVariant = BuildCommand.ParseVariant(args.Get("variant")),
            Precision = args.Get("precision"),
            DeviceId = args.GetInt("device-id", 0),
            CustomModelPath = args.Get("custom-model") ?? Environment.GetEnvironmentVariable("NIM_CUSTOM_MODEL"),
        };
        var modelDir = args.Require("model-dir");
        var batchSize = Math.Max(1, args.GetInt("batch", 1));
        args.RejectUnknown();
        var model = ModelDirectory.Open(modelDir);
        using var backend = OnnxBackend.Open(model, options, new StderrProgress(error));
        var hidden = backend.Info.HiddenSize;
        var pending = new List<(int Line, long[]? Ids, string? Error)>(batchSize);
        long tokens = 0;
        var sequences = 0;
        var inference = new System.Diagnostics.Stopwatch();
        var lineNumber = 0;
        string? line;
        while ((line = await input.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                pending.Add((lineNumber, ParseIds(line), null));
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                pending.Add((lineNumber, null, ex.Message));
            }

            if (pending.Count == batchSize)
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        if (sequences > 0)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"embedded {sequences} sequences, {tokens} tokens in {inference.Elapsed.TotalMilliseconds:F0} ms of inference: {inference.Elapsed.TotalMilliseconds / sequences:F1} ms/sequence, {tokens / inference.Elapsed.TotalSeconds:F0} tokens/s")).ConfigureAwait(false);
        }

        return 0;

        // Runs the pending lines with ids as one padded batch (a batch that fails is retried line by line,
        // so one bad line errs alone) and writes every pending line's answer in order.
        async Task FlushAsync()
        {
            var answers = new string?[pending.Count];
            var runnable = pending.Where(p => p.Ids is not null).ToList();
            var vectors = new Dictionary<int, float[]>();
            if (runnable.Count > 0)
            {
                try
                {
                    foreach (var (lineNo, vector) in Run(runnable))
                    {
                        vectors[lineNo] = vector;
                    }
                }
                catch (ArgumentException) when (runnable.Count > 1)
                {
                    foreach (var one in runnable)
                    {
                        try
                        {
                            foreach (var (lineNo, vector) in Run([one]))
                            {
                                vectors[lineNo] = vector;
                            }
                        }
                        catch (ArgumentException ex)
                        {
                            answers[pending.IndexOf(one)] = ErrorJson(one.Line, ex.Message);
                        }
                    }
                }
                catch (ArgumentException ex)
                {
                    answers[pending.IndexOf(runnable[0])] = ErrorJson(runnable[0].Line, ex.Message);
                }
            }

            for (var i = 0; i < pending.Count; i++)
            {
                var (lineNo, _, parseError) = pending[i];
                var answer = answers[i]
                    ?? (parseError is not null ? ErrorJson(lineNo, parseError) : EmbeddingJson(vectors[lineNo]));
                await output.WriteLineAsync(answer).ConfigureAwait(false);
            }

            await output.FlushAsync().ConfigureAwait(false);
            pending.Clear();
        }

        IEnumerable<(int Line, float[] Vector)> Run(List<(int Line, long[]? Ids, string? Error)> rows)
        {
            var length = rows.Max(r => r.Ids!.Length);
            var ids = new long[rows.Count * length];
            var lengths = new int[rows.Count];
            for (var r = 0; r < rows.Count; r++)
            {
                rows[r].Ids!.CopyTo(ids, r * length);
                lengths[r] = rows[r].Ids!.Length;
            }

            var pooled = new float[rows.Count * hidden];
            inference.Start();
            try
            {
                backend.Run(new BackendBatch(rows.Count, length, ids, lengths), pooled);
            }
            finally
            {
                inference.Stop();
            }

            tokens += lengths.Sum();
            sequences += rows.Count;
            return rows.Select((r, i) => (r.Line, pooled.AsSpan(i * hidden, hidden).ToArray())).ToList();
        }
    }

    private static string ErrorJson(int line, string message) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = string.Create(CultureInfo.InvariantCulture, $"line {line}: {message}") });

    private static string EmbeddingJson(float[] vector)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("embedding");
            foreach (var value in vector)
            {
                json.WriteNumberValue(value);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static long[] ParseIds(string line)
    {
        using var document = JsonDocument.Parse(line);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("ids", out var ids)
            || ids.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("expected {\"ids\": [int, ...]}.");
        }

        var values = new long[ids.GetArrayLength()];
        if (values.Length == 0)
        {
            throw new FormatException("ids is empty.");
        }

        var i = 0;
        foreach (var id in ids.EnumerateArray())
        {
            values[i++] = id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var v) ? v : throw new FormatException($"ids[{i}] is not an integer.");
        }

        return values;
    }
}
