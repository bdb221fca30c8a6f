namespace NvEmbed.InferenceWorker.Cli;

/// <summary>The worker's command line tools: build, create-model, embed.</summary>
public static class WorkerCommandLine
{
    /// <summary>True when <paramref name="verb"/> names a command rather than a server option.</summary>
    public static bool IsCommand(string verb) => false;

    /// <summary>Runs the command in <paramref name="args"/> and returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args) => Task.FromResult(2);
}
