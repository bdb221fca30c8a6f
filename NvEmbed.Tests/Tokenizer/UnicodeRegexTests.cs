using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>tokenizer.json regexes on the whole of Unicode: .NET sees UTF-16 units, Hugging Face code points.</summary>
public class UnicodeRegexTests
{
    [Theory]
    [InlineData(@"\p{L}+", "x𝐁𝐨𝐥𝐝y!", "x𝐁𝐨𝐥𝐝y")]
    [InlineData(@"[^\s\p{L}\p{N}]+", "👩‍💻🇫🇷 a", "👩‍💻🇫🇷")]
    [InlineData(@"[\p{L}\p{M}]+", "e\u0301𝐀", "e\u0301𝐀")]
    [InlineData(@"\p{N}{1,3}", "𝟏𝟐𝟑𝟒", "𝟏𝟐𝟑")]
    [InlineData(@".+", "😀\nx", "😀")]
    [InlineData(@"[😀-😂]+", "😁😀z", "😁😀")]
    public void Create_ClassesOutsideTheBmp_MatchWholeCodePoints(string pattern, string text, string expected)
    {
        // Act
        var match = UnicodeRegex.Create(pattern).Match(text);

        // Assert
        Assert.True(match.Success);
        Assert.Equal(expected, match.Value);
    }

    [Fact]
    public void Create_NegatedClass_NeverSplitsASurrogatePair()
    {
        // Arrange: a letter outside the BMP between symbols: the old translation took its two halves as non-letters.
        var regex = UnicodeRegex.Create(@"[^\p{L}]+");

        // Act
        var matches = regex.Matches("!!𝐁??").Select(m => m.Value).ToArray();

        // Assert
        Assert.Equal(["!!", "??"], matches);
    }

    [Theory]
    [InlineData(@"\p{Han}+", "Han")]
    [InlineData(@"(a)\1", "back-reference")]
    [InlineData(@"a++", "possessive")]
    [InlineData(@"[a[b]]", "nested")]
    [InlineData(@"\h", @"\h")]
    public void Load_SplitWithUnsupportedConstruct_FailsNamingIt(string pattern, string named)
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-regex-{Guid.NewGuid():N}.json");
        var escaped = System.Text.Json.JsonSerializer.Serialize(pattern);
        File.WriteAllText(path, $"{{\"added_tokens\":[],\"pre_tokenizer\":{{\"type\":\"Split\",\"pattern\":{{\"Regex\":{escaped}}},\"behavior\":\"Isolated\",\"invert\":false}},\"model\":{{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{{\"[UNK]\":0,\"a\":1}}}}}}");
        try
        {
            // Act
            var error = Assert.Throws<TokenizerLoadException>(() => HfTokenizer.Load(path));

            // Assert
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Contains(named, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
