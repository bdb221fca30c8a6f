using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>
/// <c>embed --model-dir &lt;dir&gt; [--device cpu|cuda] [--threads N] [--variant fused|plain] [--precision ...]</c>:
/// reads JSON lines <c>{"ids": [...]}</c> from stdin and writes <c>{"embedding": [...]}</c> per line, in
/// order (pooled, normalised, full dimension); builds onnx/ first when it is missing. A bad line
/// gets <c>{"error": "..."}</c> and the command goes on.
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
        args.RejectUnknown();
        var model = ModelDirectory.Open(modelDir);
        using var backend = OnnxBackend.Open(model, options, new StderrProgress(error));
        var hidden = backend.Info.HiddenSize;
        var pooled = new float[hidden];
        var buffer = new ArrayBufferWriter<byte>();
        string? line;
        var lineNumber = 0;
        long tokens = 0;
        var sequences = 0;
        var inference = new System.Diagnostics.Stopwatch();
        while ((line = await input.ReadLineAsync().ConfigureAwait(false)) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            buffer.Clear();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                try
                {
                    var ids = ParseIds(line);
                    inference.Start();
                    backend.Run(new BackendBatch(1, ids.Length, ids, new[] { ids.Length }), pooled);
                    inference.Stop();
                    tokens += ids.Length;
                    sequences++;
                    json.WriteStartArray("embedding");
                    foreach (var value in pooled)
                    {
                        json.WriteNumberValue(value);
                    }

                    json.WriteEndArray();
                }
                catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException)
                {
                    json.WriteString("error", string.Create(CultureInfo.InvariantCulture, $"line {lineNumber}: {ex.Message}"));
                }

                json.WriteEndObject();
            }

            await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
        }

        if (sequences > 0)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"embedded {sequences} sequences, {tokens} tokens in {inference.Elapsed.TotalMilliseconds:F0} ms of inference: {inference.Elapsed.TotalMilliseconds / sequences:F1} ms/sequence, {tokens / inference.Elapsed.TotalSeconds:F0} tokens/s")).ConfigureAwait(false);
        }

        return 0;
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
