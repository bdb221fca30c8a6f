namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// The tokenizer.json files the parity tests use: the real Llama 3 one (copied by the build) and a WordPiece
/// and a Unigram one that the reference library builds into a temporary folder, deleted afterwards.
/// </summary>
public sealed class TokenizerModelsFixture : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "nvembed-tokenizer-models-" + Guid.NewGuid().ToString("N"));

    /// <summary>The Llama 3 tokenizer.json.</summary>
    public string Llama3 => Infrastructure.RepoPaths.Llama3TokenizerJson;

    /// <summary>The WordPiece (BERT-style) tokenizer.json.</summary>
    public string WordPiece => Path.Combine(_directory, "wordpiece", "tokenizer.json");

    /// <summary>The Unigram (XLM-R-style) tokenizer.json.</summary>
    public string Unigram => Path.Combine(_directory, "unigram", "tokenizer.json");

    /// <inheritdoc/>
    public Task InitializeAsync() => TokenizerReference.BuildModelsAsync(_directory);

    /// <inheritdoc/>
    public Task DisposeAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }
}
