using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>Turns a pooled vector into the bytes a caller gets: Matryoshka slice, L2 renormalisation, little-endian float32.</summary>
public static class VectorPacker
{
    /// <summary>
    /// Keeps the first <paramref name="dimensions"/> values of <paramref name="pooled"/> (changed in place),
    /// L2-normalises them when <paramref name="normalize"/> (a zero vector stays zero), and returns them packed.
    /// </summary>
    /// <param name="pooled">The full pooled vector; overwritten.</param>
    /// <param name="dimensions">Values to keep, 1 to <c>pooled.Length</c>.</param>
    /// <param name="normalize">L2-normalise after slicing.</param>
    public static byte[] Pack(Span<float> pooled, int dimensions, bool normalize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, pooled.Length);
        var vector = pooled[..dimensions];
        if (normalize)
        {
            var norm = TensorPrimitives.Norm((ReadOnlySpan<float>)vector);
            if (norm > 0 && float.IsFinite(norm))
            {
                TensorPrimitives.Divide(vector, norm, vector);
            }
        }

        var bytes = new byte[dimensions * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(vector).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
            }
        }

        return bytes;
    }
}
