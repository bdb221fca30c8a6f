using System.Text.Json;

namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>
/// Writes a safetensors file tensor by tensor: the header is computed from the declared shapes, then
/// each tensor's bytes are streamed, so a model larger than memory can be written.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>A tensor to write: its bytes come from <paramref name="Write"/>, which must write exactly the declared size.</summary>
    public sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, Action<Stream> Write)
    {
        /// <summary>Bytes the tensor occupies.</summary>
        public long ByteLength => Shape.Aggregate(1L, (a, b) => a * b) * SafetensorsDTypes.SizeOf(DType);
    }

    /// <summary>Writes <paramref name="entries"/> to <paramref name="path"/> (through a temporary file, so a crash leaves no half file).</summary>
    public static void Write(string path, IReadOnlyList<Entry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", SafetensorsDTypes.ToHeaderName(entry.DType));
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.ByteLength;
            }

            json.WriteEndObject();
        }

        // The header is padded with spaces to a multiple of 8 so the data that follows is aligned.
        while (buffer.Length % 8 != 0)
        {
            buffer.WriteByte((byte)' ');
        }

        var temp = path + ".partial";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            file.Write(BitConverter.GetBytes(buffer.Length));
            buffer.Position = 0;
            buffer.CopyTo(file);
            foreach (var entry in entries)
            {
                var before = file.Position;
                entry.Write(file);
                if (file.Position - before != entry.ByteLength)
                {
                    throw new InvalidOperationException($"Tensor '{entry.Name}' wrote {file.Position - before} bytes, not {entry.ByteLength}. This is a bug.");
                }
            }
        }

        File.Move(temp, path, overwrite: true);
    }
}
