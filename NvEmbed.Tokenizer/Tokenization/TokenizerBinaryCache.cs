using System.Runtime.InteropServices;
using System.Text.Json;
using NvEmbed.Tokenizer.Tokenization.Models;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// The compact binary form of a BPE tokenizer.json, written on its first load and read instead of the JSON after
/// that: the file's other sections as JSON without <c>model.vocab</c> and <c>model.merges</c>, the vocabulary as one
/// character arena, and the merge table and byte-level lookup table as the arrays the engine searches, so a load
/// is a few array reads (the Llama 3 file: ~9 MB of JSON, ~0.6 s to parse and build; cached, tens of milliseconds).
/// </summary>
/// <remarks>
/// It is written beside the tokenizer.json as <c>&lt;file&gt;.nvembed-cache</c>, else (a read-only model directory)
/// under <c>$NIM_CACHE_PATH</c>, <c>$XDG_CACHE_HOME/nvembed</c> or <c>~/.cache/nvembed</c> in <c>tokenizers/</c>,
/// named by the JSON's SHA-256. It records that SHA-256 (the tokenizer's fingerprint) and the file's size and
/// modification time: the cache beside the file is used when size and time match (the JSON is then not read at all),
/// any cache when the SHA-256 of the file matches, so an edited tokenizer.json (which gets a new modification time)
/// is never served from a stale cache. Writes go to a temporary file that is then renamed, so concurrent first loads
/// cannot leave a torn file; any failure to read or write it falls back to the JSON.
/// </remarks>
internal static class TokenizerBinaryCache
{
    private static ReadOnlySpan<byte> Magic => "NVEMBED-BPE-v002"u8;

    /// <summary>What a cache file holds.</summary>
    public sealed record Contents(byte[] Sha256, byte[] Json, BpeVocabulary Vocabulary, MergeTable Merges, int[] ByteIds, ByteLevelVocabulary? ByteLevel);

    /// <summary>The size and modification time of a tokenizer.json, which the cache beside it records.</summary>
    public readonly record struct Stamp(long Length, long LastWriteTicks)
    {
        /// <summary>The stamp of the file at <paramref name="path"/>.</summary>
        public static Stamp Of(string path)
        {
            var info = new FileInfo(path);
            return new Stamp(info.Length, info.LastWriteTimeUtc.Ticks);
        }
    }

    /// <summary>
    /// The cache beside the tokenizer.json at <paramref name="path"/> when it was written for a file of the same size and
    /// modification time (so the JSON need not even be read), or null.
    /// </summary>
    public static Contents? TryReadBeside(string path, Stamp stamp) => TryRead(BesidePath(path), null, stamp);

    /// <summary>A cache (beside the file, or in the user's cache directory) of the JSON with SHA-256 <paramref name="sha256"/>, or null.</summary>
    public static Contents? TryRead(string path, byte[] sha256)
    {
        foreach (var candidate in Candidates(path, sha256))
        {
            if (TryRead(candidate, sha256, null) is { } contents)
            {
                return contents;
            }
        }

        return null;
    }

    private static Contents? TryRead(string candidate, byte[]? sha256, Stamp? stamp)
    {
        {
            try
            {
                if (!File.Exists(candidate))
                {
                    return null;
                }

                using var stream = new FileStream(candidate, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                var header = new byte[Magic.Length + 32 + 16];
                stream.ReadExactly(header);
                var storedSha = header.AsSpan(Magic.Length, 32);
                var storedStamp = new Stamp(BitConverter.ToInt64(header, Magic.Length + 32), BitConverter.ToInt64(header, Magic.Length + 40));
                if (!header.AsSpan(0, Magic.Length).SequenceEqual(Magic)
                    || !((sha256 is not null && storedSha.SequenceEqual(sha256)) || (stamp is not null && storedStamp == stamp.Value)))
                {
                    return null;
                }

                var json = ReadArray<byte>(stream);
                var vocabulary = new BpeVocabulary(ReadArray<int>(stream), ReadArray<int>(stream), ReadArray<char>(stream));
                var merges = new MergeTable(ReadArray<MergeTable.Slot>(stream));
                var byteIds = ReadArray<int>(stream);
                ByteLevelVocabulary? byteLevel = null;
                if (stream.ReadByte() == 1)
                {
                    byteLevel = new ByteLevelVocabulary(ReadArray<byte>(stream), ReadArray<int>(stream), ReadArray<int>(stream), ReadArray<uint>(stream));
                }

                return byteIds.Length == 256 ? new Contents(storedSha.ToArray(), json, vocabulary, merges, byteIds, byteLevel) : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or EndOfStreamException or OutOfMemoryException)
            {
                // A damaged or foreign file: the JSON is read instead, and the cache rewritten.
                return null;
            }
        }
    }

    /// <summary>Writes the cache of <paramref name="model"/> (best effort: returns false when no location is writable).</summary>
    public static bool TryWrite(string path, byte[] sha256, Stamp stamp, JsonElement root, BpeModel model)
    {
        foreach (var candidate in Candidates(path, sha256))
        {
            var temporary = $"{candidate}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(candidate)!);
                using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                {
                    stream.Write(Magic);
                    stream.Write(sha256);
                    stream.Write(BitConverter.GetBytes(stamp.Length));
                    stream.Write(BitConverter.GetBytes(stamp.LastWriteTicks));
                    WriteArray(stream, StripModelTables(root));
                    var (ids, lengths, chars) = model.Vocabulary.ToArena();
                    WriteArray(stream, ids);
                    WriteArray(stream, lengths);
                    WriteArray(stream, chars);
                    WriteArray(stream, model.Merges.Slots);
                    WriteArray(stream, model.ByteTokenIds);
                    if (model.ByteLevel is { } byteLevel)
                    {
                        stream.WriteByte(1);
                        var (bytes, starts, slots, hashes) = byteLevel.Vocabulary.Arrays;
                        WriteArray(stream, bytes);
                        WriteArray(stream, starts);
                        WriteArray(stream, slots);
                        WriteArray(stream, hashes);
                    }
                    else
                    {
                        stream.WriteByte(0);
                    }
                }

                File.Move(temporary, candidate, overwrite: true);
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                TryDelete(temporary);
            }
        }

        return false;
    }

    /// <summary>Beside the file first, then the user's cache directory.</summary>
    private static IEnumerable<string> Candidates(string path, byte[] sha256)
    {
        yield return BesidePath(path);
        var root = Environment.GetEnvironmentVariable("NIM_CACHE_PATH") is { Length: > 0 } nim
            ? nim
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "nvembed");
        yield return Path.Combine(root, "tokenizers", Convert.ToHexStringLower(sha256) + ".nvembed-cache");
    }

    private static string BesidePath(string path) => path + ".nvembed-cache";

    // The document as it is, less model.vocab and model.merges (which the arrays hold).
    private static byte[] StripModelTables(JsonElement root)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("model") && property.Value.ValueKind == JsonValueKind.Object)
                {
                    writer.WritePropertyName(property.Name);
                    writer.WriteStartObject();
                    foreach (var setting in property.Value.EnumerateObject())
                    {
                        if (!setting.NameEquals("vocab") && !setting.NameEquals("merges"))
                        {
                            setting.WriteTo(writer);
                        }
                    }

                    writer.WriteEndObject();
                }
                else
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteArray<T>(Stream stream, T[] values)
        where T : unmanaged
    {
        Span<byte> length = stackalloc byte[4];
        BitConverter.TryWriteBytes(length, values.Length);
        stream.Write(length);
        stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static T[] ReadArray<T>(Stream stream)
        where T : unmanaged
    {
        Span<byte> length = stackalloc byte[4];
        stream.ReadExactly(length);
        var count = BitConverter.ToInt32(length);
        if (count < 0 || (long)count * Marshal.SizeOf<T>() > stream.Length - stream.Position)
        {
            throw new InvalidDataException("the cache file is truncated");
        }

        var values = GC.AllocateUninitializedArray<T>(count);
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind: a later write uses another name.
        }
    }
}
