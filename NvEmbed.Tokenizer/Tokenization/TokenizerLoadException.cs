namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>A tokenizer.json that cannot be loaded: malformed, or using a component this engine does not implement.
/// The message names the file and the reason.</summary>
public sealed class TokenizerLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public TokenizerLoadException(string path, string reason, Exception? inner = null)
        : base($"{path}: {reason}", inner)
    {
        Path = path;
    }

    /// <summary>The tokenizer.json that failed to load.</summary>
    public string Path { get; }
}
