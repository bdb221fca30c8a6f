using NvEmbed.Contracts.ModelRepository;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tokenizer.Grpc;

/// <summary>The tokenizer being served, with what ModelInfo reports about it. Loaded once at start-up.</summary>
public sealed class LoadedTokenizer
{
    private LoadedTokenizer(HfTokenizer tokenizer, ModelServingSettings settings, string modelFingerprint)
    {
        Tokenizer = tokenizer;
        Settings = settings;
        ModelFingerprint = modelFingerprint;
    }

    /// <summary>The engine.</summary>
    public HfTokenizer Tokenizer { get; }

    /// <summary>The model directory's serving settings (the defaults when it has no nvembed.json).</summary>
    public ModelServingSettings Settings { get; }

    /// <summary><see cref="Contracts.ModelRepository.ModelFingerprint.Compute"/> of the model directory.</summary>
    public string ModelFingerprint { get; }

    /// <summary>Loads the tokenizer the options point at.</summary>
    /// <exception cref="InvalidOperationException">No tokenizer is configured, or it cannot be loaded (the message names the path and reason).</exception>
    public static LoadedTokenizer Load(TokenizerServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = !string.IsNullOrWhiteSpace(options.TokenizerJson)
            ? options.TokenizerJson
            : !string.IsNullOrWhiteSpace(options.ModelDir)
                ? Path.Combine(options.ModelDir, "tokenizer.json")
                : throw new InvalidOperationException("No tokenizer to serve: set NVEMBED_MODEL_DIR (a model directory with tokenizer.json) or pass --tokenizer <tokenizer.json>.");
        var modelDir = !string.IsNullOrWhiteSpace(options.ModelDir) ? options.ModelDir : Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            var tokenizer = HfTokenizer.Load(path);
            var settings = ModelServingSettings.Load(modelDir);
            return new LoadedTokenizer(tokenizer, settings, Contracts.ModelRepository.ModelFingerprint.Compute(modelDir));
        }
        catch (Exception ex) when (ex is TokenizerLoadException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Cannot serve the tokenizer: {ex.Message}", ex);
        }
    }
}
