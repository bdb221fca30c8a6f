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

    // DllImport rather than LibraryImport: the test project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
