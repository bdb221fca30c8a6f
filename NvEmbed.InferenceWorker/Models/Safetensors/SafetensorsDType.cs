namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>The element types NvEmbed reads from and writes to safetensors files.</summary>
public enum SafetensorsDType
{
    /// <summary>IEEE float32 ("F32").</summary>
    F32,

    /// <summary>IEEE float16 ("F16").</summary>
    F16,

    /// <summary>bfloat16 ("BF16"): the upper half of a float32.</summary>
    BF16,
}
