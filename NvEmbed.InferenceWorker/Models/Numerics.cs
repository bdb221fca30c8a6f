using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models;

/// <summary>Element conversions between float32 and the 16-bit formats weights are stored in.</summary>
public static class Numerics
{
    /// <summary>Converts raw little-endian elements of <paramref name="source"/> to float32.</summary>
    public static void ToSingle(SafetensorsDType dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case SafetensorsDType.BF16:
                var bits = MemoryMarshal.Cast<byte, ushort>(source);
                var dest = MemoryMarshal.Cast<float, uint>(destination);
                for (var i = 0; i < bits.Length; i++)
                {
                    dest[i] = (uint)bits[i] << 16;
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    /// <summary>Converts float32 values to raw little-endian elements of <paramref name="dtype"/> (round to nearest even).</summary>
    public static void FromSingle(SafetensorsDType dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<byte, Half>(destination));
                break;
            case SafetensorsDType.BF16:
                var bits = MemoryMarshal.Cast<float, uint>(source);
                var dest = MemoryMarshal.Cast<byte, ushort>(destination);
                for (var i = 0; i < bits.Length; i++)
                {
                    dest[i] = ToBFloat16(bits[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null);
        }
    }

    private static ushort ToBFloat16(uint bits)
    {
        if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0)
        {
            return (ushort)((bits >> 16) | 0x40); // keep NaN a NaN
        }

        var rounding = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + rounding) >> 16);
    }
}
