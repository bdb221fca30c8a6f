using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using NvEmbed.Api.Errors;
using NvEmbed.Api.KServe.V2;

namespace NvEmbed.Api.KServe;

/// <summary>
/// Reads and writes KServe v2 tensors: BYTES elements either in <c>contents.bytes_contents</c> or in a raw buffer of
/// 4-byte little-endian length-prefixed elements (tritonclient's serialisation), FP32/INT32 outputs as little-endian raw buffers.
/// </summary>
public static class TritonTensors
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The number of elements a shape holds (1 for a scalar shape []).</summary>
    /// <exception cref="ApiException">A negative dimension or an overflowing product.</exception>
    public static long ElementCount(IReadOnlyList<long> shape, string tensor)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ApiException(ApiErrorKind.Validation, $"Input '{tensor}' has a negative dimension in its shape [{string.Join(",", shape)}].");
            }

            count = checked(count * dimension);
        }

        return count;
    }

    /// <summary>
    /// The UTF-8 strings of BYTES input <paramref name="input"/>, from <paramref name="raw"/> when given, else from its contents.
    /// </summary>
    /// <exception cref="ApiException">Not BYTES, a count that does not match the shape, a malformed raw buffer or invalid UTF-8.</exception>
    public static string[] ReadStrings(ModelInferRequest.Types.InferInputTensor input, ByteString? raw)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!string.Equals(input.Datatype, "BYTES", StringComparison.Ordinal))
        {
            throw new ApiException(ApiErrorKind.Validation, $"Input '{input.Name}' must have datatype BYTES, not '{input.Datatype}'.");
        }

        long expected;
        try
        {
            expected = ElementCount(input.Shape, input.Name);
        }
        catch (OverflowException)
        {
            throw new ApiException(ApiErrorKind.Validation, $"Input '{input.Name}' has a shape too large: [{string.Join(",", input.Shape)}].");
        }

        var elements = raw is null ? FromContents(input) : FromRaw(raw.Span, input.Name, expected);
        if (elements.Count != expected)
        {
            throw new ApiException(ApiErrorKind.Validation,
                $"Input '{input.Name}' has shape [{string.Join(",", input.Shape)}] ({expected} elements) but holds {elements.Count}.");
        }

        var strings = new string[elements.Count];
        for (var i = 0; i < strings.Length; i++)
        {
            try
            {
                strings[i] = s_strictUtf8.GetString(elements[i].Span);
            }
            catch (DecoderFallbackException)
            {
                throw new ApiException(ApiErrorKind.Validation, $"Element {i} of input '{input.Name}' is not valid UTF-8.");
            }
        }

        return strings;
    }

    /// <summary>Little-endian float32 values, vector after vector: the raw FP32 [n, dim] tensor.</summary>
    public static ByteString Concat(IReadOnlyList<ReadOnlyMemory<byte>> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        var total = 0;
        foreach (var vector in vectors)
        {
            total += vector.Length;
        }

        var buffer = new byte[total];
        var offset = 0;
        foreach (var vector in vectors)
        {
            vector.Span.CopyTo(buffer.AsSpan(offset));
            offset += vector.Length;
        }

        return UnsafeByteOperations.UnsafeWrap(buffer);
    }

    /// <summary>Little-endian int32 values: the raw INT32 [n] tensor.</summary>
    public static ByteString Int32s(IReadOnlyList<int> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var buffer = new byte[values.Count * sizeof(int)];
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * sizeof(int)), values[i]);
        }

        return UnsafeByteOperations.UnsafeWrap(buffer);
    }

    /// <summary>Serialises strings the way tritonclient does for raw BYTES tensors (a helper for clients and tests).</summary>
    public static ByteString EncodeStrings(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        using var stream = new MemoryStream();
        Span<byte> prefix = stackalloc byte[sizeof(uint)];
        foreach (var value in values)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)bytes.Length);
            stream.Write(prefix);
            stream.Write(bytes);
        }

        return ByteString.CopyFrom(stream.ToArray());
    }

    private static List<ReadOnlyMemory<byte>> FromContents(ModelInferRequest.Types.InferInputTensor input)
    {
        var contents = input.Contents?.BytesContents;
        var result = new List<ReadOnlyMemory<byte>>(contents?.Count ?? 0);
        if (contents is not null)
        {
            foreach (var element in contents)
            {
                result.Add(element.Memory);
            }
        }

        return result;
    }

    private static List<ReadOnlyMemory<byte>> FromRaw(ReadOnlySpan<byte> raw, string name, long expected)
    {
        var result = new List<ReadOnlyMemory<byte>>((int)Math.Min(expected, 1024));
        var copy = raw.ToArray();
        var offset = 0;
        while (offset < copy.Length)
        {
            if (copy.Length - offset < sizeof(uint))
            {
                throw new ApiException(ApiErrorKind.Validation, $"The raw contents of input '{name}' end inside a 4-byte length prefix.");
            }

            var length = BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset));
            offset += sizeof(uint);
            if (length > (uint)(copy.Length - offset))
            {
                throw new ApiException(ApiErrorKind.Validation,
                    $"Element {result.Count} of input '{name}' claims {length} bytes but only {copy.Length - offset} remain in its raw contents.");
            }

            result.Add(copy.AsMemory(offset, (int)length));
            offset += (int)length;
        }

        return result;
    }
}
