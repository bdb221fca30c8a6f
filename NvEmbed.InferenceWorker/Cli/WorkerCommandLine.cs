namespace NvEmbed.InferenceWorker.Cli;

/// <summary>The worker's command line tools: build, create-model, embed, bench, bench-scheduler.</summary>
public static class WorkerCommandLine
{
    private static readonly string[] s_commands = ["build", "create-model", "embed", "bench", "bench-scheduler"];

    /// <summary>True when <paramref name="verb"/> names a command rather than a server option.</summary>
    public static bool IsCommand(string verb) => s_commands.Contains(verb, StringComparer.Ordinal);

    /// <summary>Runs the command in <paramref name="args"/> and returns the process exit code.</summary>
    public static Task<int> RunAsync(string[] args) => RunAsync(args, Console.In, Console.Out, Console.Error);

    /// <summary>As <see cref="RunAsync(string[])"/> with explicit streams (tests drive it this way).</summary>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length == 0 || !IsCommand(args[0]))
        {
            await error.WriteLineAsync("usage: build | create-model | embed | bench | bench-scheduler (see the worker's Models/README.md)").ConfigureAwait(false);
            return 2;
        }

        try
        {
            var options = CommandArguments.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "build" => BuildCommand.Run(options, error),
                "create-model" => CreateModelCommand.Run(options, output, error),
                "bench" => await BenchCommand.RunAsync(options, output, error).ConfigureAwait(false),
                "bench-scheduler" => await Batching.SchedulerBenchmark.RunAsync(args, output).ConfigureAwait(false),
                _ => await EmbedCommand.RunAsync(options, input, output, error).ConfigureAwait(false),
            };
        }
        catch (CommandLineException ex)
        {
            await error.WriteLineAsync($"{args[0]}: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception ex) when (ex is Models.ModelFormatException or IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{args[0]}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}
