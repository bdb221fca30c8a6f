using System.Buffers;
using System.Text.Json;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.MLTokenizers;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>The Microsoft.ML.Tokenizers face of the engine, checked against npm tokenizers and the engine.</summary>
public class HfJsonTokenizerTests
{
    private static readonly Lazy<HfJsonTokenizer> s_llama3 = new(() => HfJsonTokenizer.Create(RepoPaths.Llama3TokenizerJson));

    [Theory]
    [InlineData("llama3")]
    [InlineData("gemma3")]
    public async Task EncodeToTokens_CorpusSample_MatchesHuggingFaceIdsOffsetsAndTokens(string name)
    {
        // Arrange
        var path = name == "llama3" ? RepoPaths.Llama3TokenizerJson : TokenizerModelsFixture.Real(name);
        var corpus = await TokenizerReference.BuildCorpusAsync("parity", limit: 3000);
        var reference = await TokenizerReference.EncodeAsync(path, corpus, offsets: true, tokens: true);
        Microsoft.ML.Tokenizers.Tokenizer tokenizer = name == "llama3" ? s_llama3.Value : HfJsonTokenizer.Create(path);
        var mismatches = new List<string>();

        // Act
        for (var i = 0; i < corpus.Texts.Count; i++)
        {
            using var expected = JsonDocument.Parse(reference[i]);
            var ids = expected.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = expected.RootElement.GetProperty("offsets").EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32())).ToArray();
            var tokens = expected.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()).ToArray();
            var actual = tokenizer.EncodeToTokens(corpus.Texts[i], out var normalized);
            var same = normalized is null
                && actual.Select(t => t.Id).SequenceEqual(ids)
                && tokenizer.EncodeToIds(corpus.Texts[i]).SequenceEqual(ids)
                && tokenizer.CountTokens(corpus.Texts[i]) == ids.Length
                && actual.Select(t => t.Value).SequenceEqual(tokens)
                && actual.Select(t => (t.Offset.Start.Value, t.Offset.End.Value)).SequenceEqual(offsets);
            if (!same && mismatches.Count < 5)
            {
                mismatches.Add($"#{i}: {reference[i]}");
            }
        }

        // Assert
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    [Fact]
    public void EncodeToIds_MaxTokenCount_KeepsWholeTokensAndReportsCharsConsumed()
    {
        // Arrange: <|begin_of_text|> Hello · world · , · this ...
        const string text = "Hello world, this is NvEmbed.";
        var tokenizer = s_llama3.Value;
        var all = tokenizer.EncodeToIds(text);
        var tokens = tokenizer.EncodeToTokens(text, out _);

        // Act
        var three = tokenizer.EncodeToIds(text, maxTokenCount: 3, out var normalized, out var consumed);
        var index = tokenizer.GetIndexByTokenCount(text, maxTokenCount: 3, out _, out var count);
        var fromEnd = tokenizer.GetIndexByTokenCountFromEnd(text, maxTokenCount: 2, out _, out var endCount);

        // Assert
        Assert.Null(normalized);
        Assert.Equal(all.Take(3), three);
        Assert.Equal("Hello world".Length, consumed);
        Assert.Equal(consumed, index);
        Assert.Equal(3, count);
        Assert.Equal(2, endCount);
        Assert.Equal(tokens[^2].Offset.Start.Value, fromEnd);
    }

    [Fact]
    public void GetIndexByTokenCount_CharacterSplitAcrossTokens_NeverCutsInsideIt()
    {
        // Arrange: a rare CJK character is two or three byte-level tokens sharing one character.
        const string text = "𠜎𠜱";
        var tokenizer = s_llama3.Value;
        var tokens = tokenizer.EncodeToTokens(text, out _);
        var firstCharTokens = tokens.Count(t => t.Offset.End.Value <= 2);

        // Act
        var index = tokenizer.GetIndexByTokenCount(text, maxTokenCount: firstCharTokens, out _, out var count);
        var cut = tokenizer.GetIndexByTokenCount(text, maxTokenCount: firstCharTokens - 1, out _, out var fewer);

        // Assert
        Assert.True(firstCharTokens > 2, "the test needs a character of several tokens");
        Assert.Equal((2, firstCharTokens), (index, count));
        Assert.Equal((0, 1), (cut, fewer));
    }

    [Fact]
    public void Decode_Ids_MatchesTheEngineAndFillsSpansPartly()
    {
        // Arrange
        var tokenizer = s_llama3.Value;
        var ids = tokenizer.EncodeToIds("Decode me, please: 東京.");
        var engineText = tokenizer.Engine.Decode([.. ids], skipSpecialTokens: false);
        var small = new char[10];

        // Act
        var text = tokenizer.Decode(ids);
        var status = tokenizer.Decode(ids, small, out var consumed, out var written);

        // Assert
        Assert.Equal(engineText, text);
        Assert.StartsWith("<|begin_of_text|>", text, StringComparison.Ordinal);
        Assert.Equal(OperationStatus.DestinationTooSmall, status);
        Assert.Equal(tokenizer.Decode(ids.Take(consumed)), new string(small, 0, written));
    }

    [Fact]
    public void EncodeToIds_TextTheTokenizerRefuses_ThrowsWithTheReason()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-unigram-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{\"added_tokens\":[],\"model\":{\"type\":\"Unigram\",\"unk_id\":null,\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}}");
        try
        {
            var tokenizer = HfJsonTokenizer.Create(path);

            // Act
            var error = Assert.Throws<ArgumentException>(() => tokenizer.EncodeToIds("abc"));

            // Assert
            Assert.Equal([0, 1], tokenizer.EncodeToIds("ab"));
            Assert.Contains("unk_id", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
