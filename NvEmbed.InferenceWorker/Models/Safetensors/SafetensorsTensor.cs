namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The name as stored in the file.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions.</param>
/// <param name="Offset">Byte offset from the start of the file (header included).</param>
/// <param name="ByteLength">Length in bytes.</param>
public sealed record SafetensorsTensor(string Name, SafetensorsDType DType, long[] Shape, long Offset, long ByteLength)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var d in Shape)
            {
                count *= d;
            }

            return count;
        }
    }
}
