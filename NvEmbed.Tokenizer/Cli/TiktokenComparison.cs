using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;
using NvEmbed.Tokenizer.Tokenization;
using NvEmbed.Tokenizer.Tokenization.Models;
using NvEmbed.Tokenizer.Tokenization.PreTokenizers;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// ML.NET's Tiktoken (Microsoft.ML.Tokenizers) on a byte-level vocabulary converted from the loaded tokenizer.json,
/// for the <c>bench</c> command: its speed beside NvEmbed's and Hugging Face's, and how many texts it encodes
/// differently from NvEmbed (whose ids are checked against Hugging Face by the parity tests).
/// </summary>
/// <remarks>
/// The conversion: each vocabulary token's bytes with its id as the rank (tiktoken's format), the added tokens as
/// special tokens, and the tokenizer.json's split pattern in a compiled <see cref="Regex"/>. Tiktoken adds no BOS,
/// so the post-processor's tokens are put around its ids before comparing.
/// </remarks>
internal sealed class TiktokenComparison
{
    private readonly TiktokenTokenizer _tiktoken;
    private readonly HfTokenizer _engine;

    private TiktokenComparison(TiktokenTokenizer tiktoken, HfTokenizer engine)
    {
        _tiktoken = tiktoken;
        _engine = engine;
    }

    /// <summary>The comparison for <paramref name="engine"/>, or null when its tokenizer.json is not the Llama 3 kind
    /// (byte-level BPE behind the Llama 3 split) that Tiktoken can run.</summary>
    public static TiktokenComparison? TryCreate(HfTokenizer engine)
    {
        if (!engine.UsesFastPath || engine.Model is not BpeModel { ByteLevel: { } byteLevel })
        {
            return null;
        }

        var vocabulary = new StringBuilder();
        var bytes = byteLevel.Vocabulary;
        for (var id = 0; id < bytes.IdCount; id++)
        {
            if (bytes.LengthOf(id) > 0)
            {
                vocabulary.Append(Convert.ToBase64String(bytes.BytesOf(id))).Append(' ').Append(id).Append('\n');
            }
        }

        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in engine.AddedTokens.Tokens)
        {
            specials[token.Content] = token.Id;
        }

        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(vocabulary.ToString()));
        var preTokenizer = new RegexPreTokenizer(new Regex(Llama3Scanner.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), specials);
        return new TiktokenComparison(TiktokenTokenizer.Create(stream, preTokenizer, normalizer: null, specials), engine);
    }

    /// <summary>Texts whose Tiktoken ids (with the post-processor's tokens around them) differ from NvEmbed's.</summary>
    public int CountMismatches(IReadOnlyList<string> texts)
    {
        var buffer = new TokenBuffer();
        var template = _engine.Template;
        var mismatches = 0;
        foreach (var text in texts)
        {
            _engine.Encode(text, buffer, Tokenization.EncodeSettings.Default);
            var ids = _tiktoken.EncodeToIds(text);
            var same = buffer.Count == ids.Count + template.Count
                && buffer.Ids[..template.Prefix.Length].SequenceEqual(template.Prefix)
                && buffer.Ids[template.Prefix.Length..(buffer.Count - template.Suffix.Length)].SequenceEqual(ids is List<int> list ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list) : [.. ids]);
            mismatches += same ? 0 : 1;
        }

        return mismatches;
    }

    /// <summary>Tokens per CPU second (and per wall second) over <paramref name="texts"/>, one thread.</summary>
    public (double TokensPerCpuSecond, double TokensPerWallSecond) Time(IReadOnlyList<string> texts, double seconds)
    {
        long Pass()
        {
            long tokens = 0;
            foreach (var text in texts)
            {
                tokens += _tiktoken.EncodeToIds(text).Count;
            }

            return tokens;
        }

        Pass();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        long total = 0;
        var passes = 0;
        while (passes == 0 || stopwatch.Elapsed.TotalSeconds < seconds)
        {
            total += Pass();
            passes++;
        }

        return (total / (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds, total / stopwatch.Elapsed.TotalSeconds);
    }
}
