using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using NvEmbed.Contracts.Clients;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// <c>encode --tokenizer &lt;tokenizer.json&gt; [--no-special-tokens] [--offsets] [--max-tokens N] [--truncation none|start|end]</c>:
/// reads JSON lines <c>{"text": "..."}</c> on stdin and writes <c>{"ids": [...]}</c> per line on stdout, in order,
/// with the engine the service uses. A text over the limit with truncation none gives
/// <c>{"error": "...", "token_count": N, "max_tokens": M}</c>, a text the tokenizer cannot encode (as Hugging Face
/// refuses, e.g. an unknown character with no unknown token) <c>{"error": "..."}</c>; the other lines carry on.
/// </summary>
public static class EncodeCommand
{
    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(string[] args, Stream input, Stream output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        string? path = null;
        var settings = new EncodeSettings(true, 0, TruncationMode.None, false);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tokenizer" when i + 1 < args.Length:
                    path = args[++i];
                    break;
                case "--no-special-tokens":
                    settings = settings with { AddSpecialTokens = false };
                    break;
                case "--offsets":
                    settings = settings with { WithOffsets = true };
                    break;
                case "--max-tokens" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var max):
                    settings = settings with { MaxTokens = max };
                    i++;
                    break;
                case "--truncation" when i + 1 < args.Length:
                    settings = settings with { Truncation = ParseTruncation(args[++i]) };
                    break;
                default:
                    error.WriteLine($"encode: unknown or incomplete option '{args[i]}'.");
                    error.WriteLine("usage: encode --tokenizer <tokenizer.json> [--no-special-tokens] [--offsets] [--max-tokens N] [--truncation none|start|end]");
                    return 2;
            }
        }

        path ??= TokenizerLocation.FromEnvironment();
        if (path is null)
        {
            error.WriteLine("encode: --tokenizer <tokenizer.json> is required (or NVEMBED_TOKENIZER_JSON / NVEMBED_MODEL_DIR).");
            return 2;
        }

        HfTokenizer tokenizer;
        try
        {
            tokenizer = HfTokenizer.Load(path);
        }
        catch (TokenizerLoadException ex)
        {
            error.WriteLine($"encode: {ex.Message}");
            return 1;
        }

        return EncodeLines(tokenizer, settings, input, output, error);
    }

    // Reads stdin in large blocks and encodes each complete line from the block itself (no string, no array per line);
    // the ids go to one output buffer that is written out when it passes 1 MiB.
    private static int EncodeLines(HfTokenizer tokenizer, EncodeSettings settings, Stream input, Stream output, TextWriter error)
    {
        const int FlushAt = 1 << 20;
        var tokens = new TokenBuffer(4096);
        var pending = new ArrayBufferWriter<byte>(FlushAt + (1 << 16));
        var scratch = new byte[4096];
        var block = new byte[1 << 20];
        var filled = 0;
        var lineNumber = 0;
        var text = "text"u8.ToArray();
        while (true)
        {
            if (filled == block.Length)
            {
                Array.Resize(ref block, block.Length * 2);
            }

            var read = input.Read(block, filled, block.Length - filled);
            var end = filled + read;
            var consumed = 0;
            while (consumed < end)
            {
                var newline = block.AsSpan(consumed, end - consumed).IndexOf((byte)'\n');
                if (newline < 0 && read > 0)
                {
                    break;
                }

                var length = newline < 0 ? end - consumed : newline;
                var line = block.AsSpan(consumed, length);
                consumed += newline < 0 ? length : length + 1;
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                if (line.IsEmpty)
                {
                    continue;
                }

                lineNumber++;
                ReadOnlySpan<byte> value;
                try
                {
                    value = JsonLines.ReadStringPropertyUtf8(line, text, ref scratch);
                }
                catch (FormatException ex)
                {
                    output.Write(pending.WrittenSpan);
                    output.Flush();
                    error.WriteLine($"encode: line {lineNumber}: {ex.Message}");
                    return 1;
                }

                var outcome = tokenizer.Encode(value, tokens, settings);
                if (outcome.Error is not null)
                {
                    WriteError(pending, outcome.Error, null);
                }
                else if (outcome.TooLong)
                {
                    WriteError(pending, $"Input length {outcome.TokenCount} exceeds maximum allowed token size {settings.MaxTokens}", (outcome.TokenCount, settings.MaxTokens));
                }
                else
                {
                    JsonLines.WriteIds(pending, tokens.Ids, tokens.Offsets, settings.WithOffsets);
                }

                if (pending.WrittenCount >= FlushAt)
                {
                    output.Write(pending.WrittenSpan);
                    pending.ResetWrittenCount();
                }
            }

            block.AsSpan(consumed, end - consumed).CopyTo(block);
            filled = end - consumed;
            if (read == 0)
            {
                break;
            }
        }

        output.Write(pending.WrittenSpan);
        output.Flush();
        return 0;
    }

    private static void WriteError(ArrayBufferWriter<byte> output, string message, (int TokenCount, int MaxTokens)? limit)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("error"u8, message);
        if (limit is { } l)
        {
            writer.WriteNumber("token_count"u8, l.TokenCount);
            writer.WriteNumber("max_tokens"u8, l.MaxTokens);
        }

        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }

    private static TruncationMode ParseTruncation(string value) => value.ToUpperInvariant() switch
    {
        "NONE" => TruncationMode.None,
        "START" => TruncationMode.Start,
        "END" => TruncationMode.End,
        _ => throw new ArgumentException($"--truncation must be none, start or end, not '{value}'"),
    };
}
