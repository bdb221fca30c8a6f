namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>Names and sizes of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(SafetensorsDType dtype) => dtype == SafetensorsDType.F32 ? 4 : 2;

    /// <summary>The dtype string the safetensors header uses.</summary>
    public static string ToHeaderName(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "F32",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.BF16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Parses a header dtype string; false for types NvEmbed does not read (integers, F64, F8).</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Parses a precision name as used on the command line and in options ("fp32", "fp16", "bf16").</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static SafetensorsDType ParsePrecision(string precision) => precision.ToLowerInvariant() switch
    {
        "fp32" or "f32" or "float32" => SafetensorsDType.F32,
        "fp16" or "f16" or "float16" => SafetensorsDType.F16,
        "bf16" or "bfloat16" => SafetensorsDType.BF16,
        _ => throw new ArgumentException($"Unknown precision '{precision}': use fp32, fp16 or bf16.", nameof(precision)),
    };

    /// <summary>The precision name ("fp32", "fp16", "bf16").</summary>
    public static string ToPrecisionName(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => "fp32",
        SafetensorsDType.F16 => "fp16",
        SafetensorsDType.BF16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
