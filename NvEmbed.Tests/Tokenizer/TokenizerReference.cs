using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Cli;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// Drives the reference: the corpus builder and Hugging Face tokenizers (npm tokenizers@0.23.2) through the node
/// scripts in NvEmbed.Tests/js/tokenizer, one node process per call.
/// </summary>
public static class TokenizerReference
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    /// <summary>A corpus: its JSON lines (as the scripts read them), the texts, and what the builder reported.</summary>
    public sealed record Corpus(string JsonLines, IReadOnlyList<string> Texts, int Scripts);

    // The corpora are deterministic and read-only, so one build per process serves every test that asks for it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int), Lazy<Task<Corpus>>> s_corpora = new();

    /// <summary>Builds a corpus set ("parity", "english", "multilingual"), optionally an even sample of <paramref name="limit"/>.</summary>
    public static Task<Corpus> BuildCorpusAsync(string set, int limit = 0) =>
        s_corpora.GetOrAdd((set, limit), key => new Lazy<Task<Corpus>>(() => BuildCorpusCoreAsync(key.Item1, key.Item2))).Value;

    private static async Task<Corpus> BuildCorpusCoreAsync(string set, int limit)
    {
        var result = await NodeScript.RunAsync("tokenizer/corpus.js", ["--set", set, "--limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture)], null, s_timeout);
        Assert.True(result.ExitCode == 0, $"corpus.js failed: {result.StandardError}");
        var lines = SplitLines(result.StandardOutput);
        var texts = lines.Select(l => JsonLines.ReadStringProperty(System.Text.Encoding.UTF8.GetBytes(l), "text")).ToList();
        var summary = System.Text.Json.JsonDocument.Parse(result.StandardError.Trim());
        return new Corpus(string.Join('\n', lines) + "\n", texts, summary.RootElement.GetProperty("scripts").GetInt32());
    }

    /// <summary>Encodes the corpus with the reference; one JSON line per text ({"ids": [...], "offsets": [...], "tokens": [...]}).</summary>
    public static async Task<IReadOnlyList<string>> EncodeAsync(string tokenizerJson, Corpus corpus, bool addSpecialTokens = true, bool offsets = false, bool tokens = false)
    {
        var args = new List<string> { "tokenizer/encode.js", "--tokenizer", tokenizerJson };
        if (!addSpecialTokens)
        {
            args.Add("--no-special-tokens");
        }

        if (offsets)
        {
            args.Add("--offsets");
        }

        if (tokens)
        {
            args.Add("--tokens");
        }

        var result = await NodeScript.RunAsync(args[0], args.Skip(1), corpus.JsonLines, s_timeout);
        Assert.True(result.ExitCode == 0, $"encode.js failed: {result.StandardError}");
        var lines = SplitLines(result.StandardOutput);
        Assert.Equal(corpus.Texts.Count, lines.Count);
        return lines;
    }

    /// <summary>Decodes id lists with the reference.</summary>
    public static async Task<IReadOnlyList<string>> DecodeAsync(string tokenizerJson, IReadOnlyList<int[]> ids, bool skipSpecialTokens)
    {
        var input = string.Concat(ids.Select(i => "{\"ids\":[" + string.Join(',', i) + "]}\n"));
        var args = new List<string> { "--tokenizer", tokenizerJson, "--decode" };
        if (skipSpecialTokens)
        {
            args.Add("--skip-special-tokens");
        }

        var result = await NodeScript.RunAsync("tokenizer/encode.js", args, input, s_timeout);
        Assert.True(result.ExitCode == 0, $"encode.js --decode failed: {result.StandardError}");
        return SplitLines(result.StandardOutput).Select(l => JsonLines.ReadStringProperty(System.Text.Encoding.UTF8.GetBytes(l), "text")).ToList();
    }

    /// <summary>Writes a WordPiece and a Unigram tokenizer.json, built by the reference library, under <paramref name="directory"/>.</summary>
    public static async Task BuildModelsAsync(string directory)
    {
        var result = await NodeScript.RunAsync("tokenizer/build-models.js", [directory], null, s_timeout);
        Assert.True(result.ExitCode == 0, $"build-models.js failed: {result.StandardError}");
    }

    // JSON.stringify leaves U+2028/U+2029 unescaped, so only '\n' ends a line.
    private static List<string> SplitLines(string output) => [.. output.Split('\n').Where(l => l.Length > 0)];
}
