namespace NvEmbed.InferenceWorker.Models;

/// <summary>
/// A model directory that cannot be served as it is: an unsupported architecture, a missing tensor,
/// a wrong shape, a truncated file. The message names the file or tensor and what was expected.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message)
        : base(message)
    {
    }

    public ModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Formats a shape as <c>[a, b, c]</c> for messages.</summary>
    public static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
