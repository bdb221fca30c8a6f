using NvEmbed.Contracts.Clients;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

public class HfTokenizerTests
{
    private static readonly Lazy<HfTokenizer> s_llama3 = new(() => HfTokenizer.Load(RepoPaths.Llama3TokenizerJson));

    private static int[] Encode(string text, EncodeSettings settings, out EncodeOutcome outcome)
    {
        var buffer = new TokenBuffer();
        outcome = s_llama3.Value.Encode(text, buffer, settings);
        return buffer.Ids.ToArray();
    }

    private static string Prose(int paragraphs)
    {
        var words = new[] { "All", "human", "beings", "are", "born", "free", "and", "equal", "in", "dignity", "rights.", "They", "endowed", "with", "reason", "conscience", "should", "act", "towards", "one", "another", "spirit", "of", "brotherhood.", "It's", "1948;", "naïve", "Straße", "😀" };
        var random = new Random(7);
        var builder = new System.Text.StringBuilder();
        for (var p = 0; p < paragraphs; p++)
        {
            for (var w = 0; w < 60; w++)
            {
                builder.Append(words[random.Next(words.Length)]).Append(' ');
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }

    [Fact]
    public void Encode_NimQueryWithBos_IsTwelveTokens()
    {
        // Arrange: the contract's usage example: <|begin_of_text|> (added by the template) + the prefixed query.
        const string query = "query: defendant moves for summary judgment under Rule 56";

        // Act
        var ids = Encode(query, EncodeSettings.Default, out var outcome);

        // Assert
        Assert.Equal(12, ids.Length);
        Assert.Equal(12, outcome.TokenCount);
        Assert.Equal(128000, ids[0]);
        Assert.Equal(1, ids.Count(id => id == 128000));
    }

    [Fact]
    public void Load_Llama3_ReportsVocabularyTemplateAndFastPath()
    {
        // Act
        var tokenizer = s_llama3.Value;

        // Assert
        Assert.Equal(128256, tokenizer.VocabSize);
        Assert.Equal("BPE", tokenizer.Model.Type);
        Assert.Equal([128000], tokenizer.Template.Prefix);
        Assert.Empty(tokenizer.Template.Suffix);
        Assert.True(tokenizer.UsesFastPath);
        Assert.Equal(64, tokenizer.Fingerprint.Length);
    }

    [Theory]
    [InlineData(TruncationMode.End)]
    [InlineData(TruncationMode.Start)]
    public void Encode_OverLimitWithTruncation_KeepsBosAndTheRightEnd(TruncationMode mode)
    {
        // Arrange
        var text = Prose(5);
        var full = Encode(text, EncodeSettings.Default, out _);
        const int limit = 50;

        // Act
        var ids = Encode(text, new EncodeSettings(true, limit, mode, false), out var outcome);

        // Assert: BOS first, then the first (END) or last (START) limit-1 content tokens of the full encoding.
        var content = full[1..];
        var expected = mode == TruncationMode.End ? content[..(limit - 1)] : content[^(limit - 1)..];
        Assert.Equal([128000, .. expected], ids);
        Assert.True(outcome.Truncated);
        Assert.False(outcome.TooLong);
    }

    [Fact]
    public void Encode_OverLimitWithTruncationNone_ReportsTheFullCount()
    {
        // Arrange
        var text = Prose(3);
        var full = Encode(text, EncodeSettings.Default, out _);

        // Act
        var ids = Encode(text, new EncodeSettings(true, 20, TruncationMode.None, false), out var outcome);

        // Assert
        Assert.True(outcome.TooLong);
        Assert.Equal(full.Length, outcome.TokenCount);
        Assert.Empty(ids);
    }

    [Fact]
    public void Encode_AtTheLimit_IsNotTooLong()
    {
        // Arrange
        var text = Prose(1);
        var full = Encode(text, EncodeSettings.Default, out _);

        // Act
        var ids = Encode(text, new EncodeSettings(true, full.Length, TruncationMode.None, false), out var outcome);

        // Assert
        Assert.False(outcome.TooLong);
        Assert.Equal(full, ids);
    }

    [Theory]
    [InlineData(TruncationMode.End)]
    [InlineData(TruncationMode.Start)]
    public void Encode_HugeInputWithTruncation_EqualsTruncatingTheFullEncoding(TruncationMode mode)
    {
        // Arrange: about 2 MB of text, far over the character cap for a 512-token limit.
        var text = Prose(5000);
        var full = Encode(text, new EncodeSettings(false, 0, TruncationMode.None, false), out _);
        const int limit = 512;

        // Act
        var ids = Encode(text, new EncodeSettings(true, limit, mode, false), out _);

        // Assert
        var expected = mode == TruncationMode.End ? full[..(limit - 1)] : full[^(limit - 1)..];
        Assert.Equal([128000, .. expected], ids);
    }

    [Fact]
    public void Encode_LoneSurrogates_EncodeAsReplacementCharacter()
    {
        // Act
        var lone = Encode("a\ud800b\udc00 c\ud83d", EncodeSettings.Default, out _);
        var replaced = Encode("a\ufffdb\ufffd c\ufffd", EncodeSettings.Default, out _);

        // Assert
        Assert.Equal(replaced, lone);
    }

    [Fact]
    public void Encode_SpecialTokenText_IsMatchedAsOneToken()
    {
        // Act
        var ids = Encode("x<|eot_id|>y", new EncodeSettings(false, 0, TruncationMode.None, true), out _);
        var buffer = new TokenBuffer();
        s_llama3.Value.Encode("x<|eot_id|>y", buffer, new EncodeSettings(false, 0, TruncationMode.None, true));

        // Assert
        Assert.Equal(3, ids.Length);
        Assert.Equal(128009, ids[1]);
        Assert.Equal([0, 1, 1, 11, 11, 12], buffer.Offsets.ToArray());
    }

    [Fact]
    public void Decode_EncodedProse_RoundTrips()
    {
        // Arrange
        var text = Prose(2) + "Ελληνικά 中文 \r\n\t émoji 👩‍💻";
        var ids = Encode(text, EncodeSettings.Default, out _);

        // Act
        var withSpecials = s_llama3.Value.Decode(ids, skipSpecialTokens: false);
        var without = s_llama3.Value.Decode(ids, skipSpecialTokens: true);

        // Assert
        Assert.Equal("<|begin_of_text|>" + text, withSpecials);
        Assert.Equal(text, without);
    }

    [Fact]
    public async Task Encode_TwoFastPathTokenizersOnOneThread_EachKeepsItsOwnIds()
    {
        // Arrange: a Llama 3 copy with all but the first 80,000 merges dropped tokenizes unseen words differently; the
        // thread's word cache must not hand one tokenizer's ids to the other.
        var directory = Directory.CreateTempSubdirectory("nvembed-two-tokenizers-");
        try
        {
            var root = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(RepoPaths.Llama3TokenizerJson))!;
            var merges = root["model"]!["merges"]!.AsArray();
            while (merges.Count > 80_000)
            {
                merges.RemoveAt(merges.Count - 1);
            }

            var fewerPath = Path.Combine(directory.FullName, "tokenizer.json");
            await File.WriteAllTextAsync(fewerPath, root.ToJsonString());
            var fewer = HfTokenizer.Load(fewerPath);
            const string text = "Zyxwvutsqponmlk qwertyuiopasdf";
            var expected = await Task.Run(() => EncodeWith(fewer, text));

            // Act
            var full = EncodeWith(s_llama3.Value, text);
            var actual = EncodeWith(fewer, text);
            var fullAgain = EncodeWith(s_llama3.Value, text);

            // Assert
            Assert.True(fewer.UsesFastPath);
            Assert.NotEqual(full, expected);
            Assert.Equal(expected, actual);
            Assert.Equal(full, fullAgain);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static int[] EncodeWith(HfTokenizer tokenizer, string text)
    {
        var buffer = new TokenBuffer();
        tokenizer.Encode(text, buffer, EncodeSettings.Default);
        return buffer.Ids.ToArray();
    }

    [Theory]
    [InlineData("normalizer", "{\"type\":\"ByteLevel\"}", "ByteLevel")]
    [InlineData("pre_tokenizer", "{\"type\":\"UnicodeScripts\"}", "UnicodeScripts")]
    [InlineData("decoder", "{\"type\":\"CTC\"}", "CTC")]
    public void Load_UnknownComponentType_FailsNamingTypeAndFile(string section, string component, string type)
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-tok-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $"{{\"added_tokens\":[],\"{section}\":{component},\"model\":{{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{{\"[UNK]\":0,\"a\":1}}}}}}");
        try
        {
            // Act
            var error = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load(path));

            // Assert
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains($"'{type}'", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}")]
    [InlineData("[]")]
    public void Load_MalformedFile_FailsWithPathAndReason(string content)
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-tok-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, content);
        try
        {
            // Act
            var error = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load(path));

            // Assert
            Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
            Assert.True(error.Message.Length > path.Length + 5);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_MissingFile_FailsWithPath()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-missing-{Guid.NewGuid():N}.json");

        // Act
        var error = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load(path));

        // Assert
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }
}
