namespace NvEmbed.Tokenizer.Cli;

/// <summary>Where the tokenizer.json to serve is: <c>NVEMBED_TOKENIZER_JSON</c>, else <c>$NVEMBED_MODEL_DIR/tokenizer.json</c>.</summary>
public static class TokenizerLocation
{
    /// <summary>The path from the environment, or null when neither variable is set.</summary>
    public static string? FromEnvironment()
    {
        var explicitPath = Environment.GetEnvironmentVariable("NVEMBED_TOKENIZER_JSON");
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return explicitPath;
        }

        var modelDir = Environment.GetEnvironmentVariable("NVEMBED_MODEL_DIR");
        return string.IsNullOrWhiteSpace(modelDir) ? null : Path.Combine(modelDir, "tokenizer.json");
    }
}
