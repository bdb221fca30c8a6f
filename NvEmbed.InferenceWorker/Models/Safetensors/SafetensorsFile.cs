using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace NvEmbed.InferenceWorker.Models.Safetensors;

/// <summary>
/// A safetensors file, memory-mapped read-only: tensors are read straight from the mapping, never
/// copied whole into managed memory. The header is checked against the file's length on open, so a
/// truncated file fails here with the tensor's name rather than later inside ONNX Runtime.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    // The specification caps the JSON header at 100 MB; anything larger is not a safetensors file.
    private const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly Dictionary<string, SafetensorsTensor> _tensors;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer, Dictionary<string, SafetensorsTensor> tensors)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _tensors = tensors;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>Tensors by their stored name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors => _tensors;

    /// <summary>Opens and validates <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is not a valid safetensors file (the message says why).</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);

        // NOTE: FileInfo.Length of a symbolic link is the link's own size; model folders are often links
        // (the Hugging Face cache links snapshots to blobs), so measure the file the link leads to.
        var info = new FileInfo(path);
        var length = (info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length;
        if (length < 8)
        {
            throw new ModelFormatException($"{path}: {length} bytes is too short for a safetensors file (an 8-byte header length comes first).");
        }

        byte[] header;
        using (var stream = File.OpenRead(path))
        {
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            var headerLength = BitConverter.ToInt64(prefix);
            if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > length - 8)
            {
                throw new ModelFormatException($"{path}: header length {headerLength} does not fit a file of {length} bytes; the file is truncated or not safetensors.");
            }

            header = new byte[headerLength];
            stream.ReadExactly(header);
        }

        var dataStart = 8 + header.Length;
        var tensors = ParseHeader(path, header, dataStart, length);

        if (length == dataStart)
        {
            return new SafetensorsFile(path, null, null, null, tensors);
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        return new SafetensorsFile(path, map, view, pointer, tensors);
    }

    /// <summary>The raw little-endian bytes of <paramref name="tensor"/>, read from the mapping.</summary>
    public ReadOnlySpan<byte> GetBytes(SafetensorsTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ByteLength == 0)
        {
            return [];
        }

        if (tensor.ByteLength > int.MaxValue)
        {
            throw new ModelFormatException($"{Path}: tensor '{tensor.Name}' has {tensor.ByteLength} bytes; tensors over 2 GiB are not supported.");
        }

        if (_base is null)
        {
            throw new InvalidOperationException($"{Path}: the file has no data section although tensor '{tensor.Name}' has bytes. This is a bug.");
        }

        return new ReadOnlySpan<byte>(_base + tensor.Offset, (int)tensor.ByteLength);
    }

    /// <summary>Releases the mapping.</summary>
    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
    }

    private static Dictionary<string, SafetensorsTensor> ParseHeader(string path, byte[] header, long dataStart, long fileLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{path}: the header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException($"{path}: the header is not a JSON object.");
            }

            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var entry = property.Value;
                if (entry.ValueKind != JsonValueKind.Object
                    || !entry.TryGetProperty("dtype", out var dtypeElement)
                    || !entry.TryGetProperty("shape", out var shapeElement)
                    || !entry.TryGetProperty("data_offsets", out var offsetsElement)
                    || shapeElement.ValueKind != JsonValueKind.Array
                    || offsetsElement.ValueKind != JsonValueKind.Array
                    || offsetsElement.GetArrayLength() != 2)
                {
                    throw new ModelFormatException($"{path}: tensor '{property.Name}' has no valid dtype, shape and data_offsets.");
                }

                var dtypeName = dtypeElement.GetString() ?? string.Empty;
                if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
                {
                    throw new ModelFormatException($"{path}: tensor '{property.Name}' has dtype {dtypeName}; only F32, F16 and BF16 are supported.");
                }

                var shape = new long[shapeElement.GetArrayLength()];
                var i = 0;
                long count = 1;
                foreach (var d in shapeElement.EnumerateArray())
                {
                    shape[i] = d.GetInt64();
                    if (shape[i] < 0)
                    {
                        throw new ModelFormatException($"{path}: tensor '{property.Name}' has a negative dimension in {ModelFormatException.FormatShape(shape)}.");
                    }

                    count *= shape[i++];
                }

                var begin = offsetsElement[0].GetInt64();
                var end = offsetsElement[1].GetInt64();
                var expectedBytes = count * SafetensorsDTypes.SizeOf(dtype);
                if (begin < 0 || end < begin || end - begin != expectedBytes)
                {
                    throw new ModelFormatException(
                        $"{path}: tensor '{property.Name}' ({dtypeName} {ModelFormatException.FormatShape(shape)}) should hold {expectedBytes} bytes but its data_offsets [{begin}, {end}] span {end - begin}.");
                }

                if (dataStart + end > fileLength)
                {
                    throw new ModelFormatException(
                        $"{path}: tensor '{property.Name}' ({dtypeName} {ModelFormatException.FormatShape(shape)}) ends at byte {dataStart + end} but the file has {fileLength} bytes; the file is truncated.");
                }

                tensors[property.Name] = new SafetensorsTensor(property.Name, dtype, shape, dataStart + begin, expectedBytes);
            }

            return tensors;
        }
    }
}
