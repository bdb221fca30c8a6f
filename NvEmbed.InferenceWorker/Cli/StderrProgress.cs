namespace NvEmbed.InferenceWorker.Cli;

/// <summary>Writes progress lines to a writer (stderr for the commands) synchronously, with the elapsed time.</summary>
public sealed class StderrProgress(TextWriter writer) : IProgress<string>
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    /// <inheritdoc />
    public void Report(string value)
    {
        lock (writer)
        {
            writer.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}s] {value}");
            writer.Flush();
        }
    }
}
