using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// Host memory that ONNX Runtime reads a bound input from or writes a bound output into, allocated once
/// and reused for every batch that fits. On CUDA it is page-locked memory from ONNX Runtime's
/// <c>CudaPinned</c> allocator, so host-device copies go by DMA without a staging copy; on the CPU (or when
/// that allocator is not there) it is a managed array pinned for its lifetime.
/// </summary>
internal sealed unsafe class HostBuffer : IDisposable
{
    private readonly OrtValue? _native;
    private readonly byte[]? _managed;

    private HostBuffer(OrtValue native, OrtMemoryInfo info)
    {
        _native = native;
        var bytes = native.GetTensorMutableRawData();
        Pointer = (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
        Bytes = bytes.Length;
        Info = info;
    }

    private HostBuffer(byte[] managed)
    {
        _managed = managed;
        Pointer = (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(managed));
        Bytes = managed.Length;
        Info = OrtMemoryInfo.DefaultInstance;
    }

    /// <summary>Start of the memory (never moves).</summary>
    public IntPtr Pointer { get; }

    /// <summary>Size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>Where the memory is, as ONNX Runtime describes it to the tensors made over it.</summary>
    public OrtMemoryInfo Info { get; }

    /// <summary>True when the memory is page-locked by CUDA.</summary>
    public bool IsCudaPinned => _native is not null;

    /// <summary>
    /// Allocates <paramref name="bytes"/> from <paramref name="pinnedAllocator"/> when given, else as a
    /// pinned managed array.
    /// </summary>
    public static HostBuffer Allocate(long bytes, OrtAllocator? pinnedAllocator)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (pinnedAllocator is not null)
        {
            // A flat byte tensor from the allocator: the public way to own its memory and see its address.
            return new HostBuffer(OrtValue.CreateAllocatedTensorValue(pinnedAllocator, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.UInt8, [bytes]), pinnedAllocator.Info);
        }

        return new HostBuffer(GC.AllocateUninitializedArray<byte>(checked((int)bytes), pinned: true));
    }

    /// <summary>The first <paramref name="count"/> elements of type <typeparamref name="T"/>.</summary>
    public Span<T> AsSpan<T>(int count)
        where T : unmanaged
    {
        if ((long)count * sizeof(T) > Bytes)
        {
            throw new InvalidOperationException($"{count} elements of {typeof(T).Name} do not fit a {Bytes}-byte buffer. This is a bug.");
        }

        return new Span<T>((void*)Pointer, count);
    }

    /// <summary>A tensor of <paramref name="shape"/> over the start of this memory.</summary>
    public OrtValue Tensor(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType type, long[] shape, int elementSize)
    {
        var count = 1L;
        foreach (var d in shape)
        {
            count *= d;
        }

        return OrtValue.CreateTensorValueWithData(Info, type, shape, Pointer, count * elementSize);
    }

    public void Dispose() => _native?.Dispose();
}
