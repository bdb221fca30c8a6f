namespace NvEmbed.InferenceWorker.Cli;

/// <summary>Bad command line arguments (exit code 2, message on stderr).</summary>
public sealed class CommandLineException(string message) : Exception(message);
