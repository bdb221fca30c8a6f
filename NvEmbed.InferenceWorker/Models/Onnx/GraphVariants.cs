namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>The names of <see cref="GraphVariant"/> values on the command line, in options and in the build manifest.</summary>
public static class GraphVariants
{
    /// <summary>"plain", "fused" or "fused-mha".</summary>
    public static string ToName(GraphVariant variant) => variant switch
    {
        GraphVariant.Plain => "plain",
        GraphVariant.Fused => "fused",
        GraphVariant.FusedMha => "fused-mha",
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
    };

    /// <summary>Parses a name given by <see cref="ToName"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static GraphVariant Parse(string name) => name.ToLowerInvariant() switch
    {
        "plain" => GraphVariant.Plain,
        "fused" => GraphVariant.Fused,
        "fused-mha" => GraphVariant.FusedMha,
        _ => throw new ArgumentException($"Unknown graph variant '{name}': use fused, fused-mha or plain.", nameof(name)),
    };
}
