using System.Globalization;
using NvEmbed.Contracts.Clients;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// <c>encode --tokenizer &lt;tokenizer.json&gt; [--no-special-tokens] [--offsets] [--max-tokens N] [--truncation none|start|end]</c>:
/// reads JSON lines <c>{"text": "..."}</c> on stdin and writes <c>{"ids": [...]}</c> per line on stdout, in order,
/// with the engine the service uses. A text over the limit with truncation none gives
/// <c>{"error": "...", "token_count": N, "max_tokens": M}</c>.
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

        var buffer = new TokenBuffer(4096);
        var lineNumber = 0;
        using var stdout = new BufferedStream(output, 1 << 16);
        foreach (var line in JsonLines.ReadLines(input))
        {
            lineNumber++;
            string text;
            try
            {
                text = JsonLines.ReadStringProperty(line, "text");
            }
            catch (FormatException ex)
            {
                stdout.Flush();
                error.WriteLine($"encode: line {lineNumber}: {ex.Message}");
                return 1;
            }

            var outcome = tokenizer.Encode(text, buffer, settings);
            if (outcome.TooLong)
            {
                var message = $"{{\"error\":\"Input length {outcome.TokenCount} exceeds maximum allowed token size {settings.MaxTokens}\",\"token_count\":{outcome.TokenCount},\"max_tokens\":{settings.MaxTokens}}}\n";
                stdout.Write(System.Text.Encoding.UTF8.GetBytes(message));
                continue;
            }

            JsonLines.WriteIds(stdout, buffer.Ids, settings.WithOffsets ? buffer.Offsets : default);
        }

        return 0;
    }

    private static TruncationMode ParseTruncation(string value) => value.ToUpperInvariant() switch
    {
        "NONE" => TruncationMode.None,
        "START" => TruncationMode.Start,
        "END" => TruncationMode.End,
        _ => throw new ArgumentException($"--truncation must be none, start or end, not '{value}'"),
    };
}
