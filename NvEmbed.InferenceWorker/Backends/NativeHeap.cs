using System.Runtime.InteropServices;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// Tunes glibc's malloc for ONNX Runtime on the CPU, where every tensor of a batch comes from malloc
/// (the ONNX Runtime arena is off, see <see cref="OnnxBackend"/>).
/// </summary>
/// <remarks>
/// <para>
/// With glibc's defaults, freed memory at the top of the heap beyond the trim threshold (dynamic, at
/// most 64 MiB) goes back to the kernel after each batch, and the next batch faults it in again, page
/// by page, zeroed. Above about 1000 tokens per batch that halved throughput: the backend probe
/// (<c>bench-scheduler --backend onnx --probe</c>, default model, 2 threads) gave 32 × 32 tokens
/// 2,040–2,190 tokens/s with the defaults and 3,730–3,930 with the settings below, and 64 × 32
/// 1,800–1,980 against 3,000–3,500; batches of 512 tokens or fewer were unchanged.
/// </para>
/// <para>
/// The settings: blocks of <see cref="MmapThresholdBytes"/> and more are mapped on their own and
/// unmapped when freed (so the gigabytes of attention scores of an 8192-token input never stay
/// resident), and up to <see cref="TrimThresholdBytes"/> of free heap top is kept for the next batch
/// (so the worker holds at most that much more than its live data).
/// </para>
/// </remarks>
public static partial class NativeHeap
{
    /// <summary>Allocations of this size or more are mmapped (glibc's largest allowed value on 64-bit).</summary>
    public const int MmapThresholdBytes = 32 << 20;

    /// <summary>Free memory at the top of the heap kept instead of returned to the kernel.</summary>
    public const int TrimThresholdBytes = 256 << 20;

    /// <summary>Set to 0 to leave malloc as it is (for a comparison, or with another allocator preloaded).</summary>
    public const string DisableVariable = "NVEMBED_MALLOC_TUNING";

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    private static readonly Lock s_gate = new();
    private static string? s_outcome;

    /// <summary>
    /// Applies the settings once per process and says what happened: "applied", or why not (not glibc,
    /// refused). Never throws: without them the worker is slower on large batches, not wrong.
    /// </summary>
    public static string Configure()
    {
        lock (s_gate)
        {
            return s_outcome ??= Apply();
        }
    }

    private static string Apply()
    {
        if (Environment.GetEnvironmentVariable(DisableVariable) == "0")
        {
            return $"not applied: {DisableVariable}=0";
        }

        if (!OperatingSystem.IsLinux())
        {
            return "not applied: not Linux";
        }

        try
        {
            // mallopt returns 1 on success and 0 when glibc refuses a value.
            return Mallopt(MMmapThreshold, MmapThresholdBytes) == 1 && Mallopt(MTrimThreshold, TrimThresholdBytes) == 1
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"applied (mmap threshold {MmapThresholdBytes >> 20} MiB, trim threshold {TrimThresholdBytes >> 20} MiB)")
                : "not applied: mallopt refused a value";
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return "not applied: the C library has no mallopt (not glibc)";
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int parameter, int value);
}
