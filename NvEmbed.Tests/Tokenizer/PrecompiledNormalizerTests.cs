using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// The Precompiled normalizer against Hugging Face tokenizers (npm tokenizers@0.23.2): a charsmap written by the
/// test's own darts-clone builder, put in front of the Unigram (XLM-R-style) tokenizer as XLM-R does
/// (Sequence[Precompiled, Replace " {2,}" → " "]), compared id for id and offset for offset.
/// </summary>
public sealed class PrecompiledNormalizerTests(TokenizerModelsFixture models) : IClassFixture<TokenizerModelsFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nvembed-precompiled-").FullName;

    // Full-width letters, ligatures, a decomposed accent (multi-char key), keys mapped to nothing, U+3000, a
    // one-to-many expansion, and a 6-byte key (Hangul jamo) that is only reachable by whole-grapheme lookup,
    // which Hugging Face does only for graphemes under 6 bytes.
    private static Dictionary<string, string> Table()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var c = 'A'; c <= 'Z'; c++)
        {
            map[((char)(0xFF21 + c - 'A')).ToString()] = c.ToString();
            map[((char)(0xFF41 + c - 'A')).ToString()] = char.ToLowerInvariant(c).ToString();
        }

        map["\uFB01"] = "fi";
        map["\uFB02"] = "fl";
        map["e\u0301"] = "\u00E9";
        map["a\u0300"] = "\u00E0";
        map["\u200B"] = string.Empty;
        map["\u00AD"] = string.Empty;
        map["\u3000"] = " ";
        map["\u2026"] = "...";
        map["\u338F"] = "kg";
        map["\u1100\u1161"] = "\uAC00";
        map["\U0001D400"] = "A";
        return map;
    }

    private static readonly string[] s_keyHits =
    [
        "\uFF28\uFF45\uFF4C\uFF4C\uFF4F\u3000\uFF37\uFF4F\uFF52\uFF4C\uFF44",
        "\uFB01nal of\uFB02ow", "cafe\u0301 a\u0300 la carte", "e\u0301", "e\u0301\u0302 quirk", "\uFB01\u0301 x",
        "\u2026\u0301\u0301 long grapheme", "\u200Bstart", "end\u200B", "a\u200B\u200B\u00ADb", "\uFB01\u200Bx",
        "\u2026\u200B\u200B\u200B\u200By", "\u2026\u200Bz", "\u200B\u200B", "\u00AD", "  \u3000  two  spaces",
        "5\u338F of \U0001D400pples", "\u1100\u1161 \u1100\u1161\u11A8 jamo", "\u3000\u3000", "\u2026", "x\u2026\u2026x",
        "Ｆｕｌｌ－ｗｉｄｔｈ ｔｅｘｔ，ｗｉｔｈ ｐｕｎｃｔｕａｔｉｏｎ", "\u200B\uFB01", "e\u0301e\u0301e\u0301",
    ];

    [Fact]
    public async Task Encode_PrecompiledCharsmapCorpusWithOffsets_MatchesHuggingFace()
    {
        // Arrange: corpus sample, the same texts disguised with keys, and strings that hit every key and quirk.
        var path = WriteTokenizer(Convert.ToBase64String(CharsMapBuilder.Build(Table())));
        var sample = await TokenizerReference.BuildCorpusAsync("parity", limit: 3000);
        var random = new Random(2026);
        var extra = sample.Texts.Where(IsWellFormed).Take(1500).Select(t => Disguise(t, random)).Concat(s_keyHits).ToList();
        var lines = sample.JsonLines + string.Concat(extra.Select(t => JsonSerializer.Serialize(new { text = t }) + "\n"));
        var corpus = new TokenizerReference.Corpus(lines, [.. sample.Texts, .. extra], sample.Scripts);
        var reference = await TokenizerReference.EncodeAsync(path, corpus, addSpecialTokens: false, offsets: true);
        var tokenizer = HfTokenizer.Load(path);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: false, offsets: true);

        // Assert
        Assert.True(corpus.Texts.Count >= 4000, $"only {corpus.Texts.Count} strings");
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Fact]
    public async Task Encode_KeyHitsWithSpecialTokens_MatchesHuggingFaceIds()
    {
        // Arrange
        var path = WriteTokenizer(Convert.ToBase64String(CharsMapBuilder.Build(Table())));
        var lines = string.Concat(s_keyHits.Select(t => JsonSerializer.Serialize(new { text = t }) + "\n"));
        var corpus = new TokenizerReference.Corpus(lines, s_keyHits, 0);
        var reference = await TokenizerReference.EncodeAsync(path, corpus);
        var tokenizer = HfTokenizer.Load(path);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: true, offsets: false);

        // Assert
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Fact]
    public void Encode_FullWidthTextAndLigature_EncodesLikeTheirReplacements()
    {
        // Arrange: guards against a table that both sides silently ignore (parity alone would still pass).
        var tokenizer = HfTokenizer.Load(WriteTokenizer(Convert.ToBase64String(CharsMapBuilder.Build(Table()))));
        var plain = new TokenBuffer();
        var disguised = new TokenBuffer();

        // Act
        tokenizer.Encode("Hello world, final caf\u00E9", plain, EncodeSettings.Default);
        tokenizer.Encode("\uFF28\uFF45\uFF4C\uFF4C\uFF4F\u3000\u200Bworld,  \uFB01nal cafe\u0301", disguised, EncodeSettings.Default);

        // Assert
        Assert.Equal(plain.Ids.ToArray(), disguised.Ids.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAA=")]
    [InlineData("CAAAAAEAAAA=")]
    [InlineData("not base64!")]
    public void Load_MalformedCharsmap_FailsWithClearError(string charsmap)
    {
        // Arrange
        var path = WriteTokenizer(charsmap);

        // Act
        var error = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load(path));

        // Assert
        Assert.Equal(path, error.Path);
    }

    /// <inheritdoc/>
    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteTokenizer(string charsmapBase64)
    {
        var root = JsonNode.Parse(File.ReadAllText(models.Unigram))!;
        root["normalizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["normalizers"] = new JsonArray(
                new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = charsmapBase64 },
                new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["Regex"] = " {2,}" }, ["content"] = " " }),
        };
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    private static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    // Rewrites a corpus text so that keys occur often and next to each other.
    private static string Disguise(string text, Random random)
    {
        var builder = new StringBuilder(text.Length * 2);
        foreach (var c in text)
        {
            var roll = random.NextDouble();
            if (c is >= 'A' and <= 'Z' && roll < 0.4)
            {
                builder.Append((char)(0xFF21 + c - 'A'));
            }
            else if (c is >= 'a' and <= 'z' && roll < 0.3)
            {
                builder.Append((char)(0xFF41 + c - 'a'));
            }
            else if (c == ' ' && roll < 0.2)
            {
                builder.Append(roll < 0.1 ? "\u3000" : "  ");
            }
            else if (c == 'e' && roll < 0.3)
            {
                builder.Append("e\u0301");
            }
            else if (c == 'f' && roll < 0.3)
            {
                builder.Append('\uFB01');
            }
            else
            {
                builder.Append(c);
            }

            if (roll > 0.985)
            {
                builder.Append(roll > 0.995 ? "\u200B" : roll > 0.99 ? "\u2026" : "\u00AD");
            }
        }

        return builder.ToString();
    }
}
