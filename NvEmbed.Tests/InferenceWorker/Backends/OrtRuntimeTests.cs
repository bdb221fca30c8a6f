using System.Runtime.InteropServices;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.Tests.InferenceWorker.Backends;

public sealed class OrtRuntimeTests
{
    [Fact]
    public void EnsureInitialized_OnLinux_PutsTelemetryOffIntoTheNativeEnvironment()
    {
        // Arrange
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // Act
        var env = OrtRuntime.EnsureInitialized();

        // Assert: read through libc's getenv, which is what the native library sees.
        Assert.NotNull(env);
        Assert.Equal("1", Marshal.PtrToStringUTF8(GetEnv("ORT_DISABLE_TELEMETRY")));
        Assert.Same(env, OrtRuntime.EnsureInitialized());
    }

    [Fact]
    public void EnsureInitialized_OnGlibc_TunesTheNativeHeapForBatches()
    {
        // Arrange
        if (!OperatingSystem.IsLinux() || GetEnv("GLIBC_TUNABLES") != IntPtr.Zero)
        {
            return;
        }

        // Act
        _ = OrtRuntime.EnsureInitialized();
        var outcome = NativeHeap.Configure();

        // Assert: glibc accepted both values (mallopt returns 0 for a value out of its range).
        Assert.StartsWith("applied", outcome, StringComparison.Ordinal);
        Assert.Contains("trim threshold 256 MiB", outcome, StringComparison.Ordinal);
    }

    // DllImport rather than LibraryImport: the test project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
