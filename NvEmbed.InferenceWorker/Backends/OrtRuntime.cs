using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// The one place ONNX Runtime is initialised. Every process that loads ONNX Runtime calls
/// <see cref="EnsureInitialized"/> before touching any of its types: it puts
/// <c>ORT_DISABLE_TELEMETRY=1</c> into the native process environment before the native library
/// loads, creates the process-wide environment, and turns telemetry events off there as well. It also
/// tunes the native heap for batches (<see cref="NativeHeap"/>).
/// </summary>
public static partial class OrtRuntime
{
    /// <summary>The file name of the CUDA execution provider plugin (restored with <c>-p:NvEmbedCuda=true</c>).</summary>
    public const string CudaPluginFileName = "libonnxruntime_providers_cuda.so";

    private static readonly Lock s_gate = new();
    private static OrtEnv? s_env;
    private static bool s_cudaRegistered;

    /// <summary>The process-wide ONNX Runtime environment, created on first call.</summary>
    public static OrtEnv EnsureInitialized()
    {
        lock (s_gate)
        {
            if (s_env is not null)
            {
                return s_env;
            }

            // NOTE: on Linux, Environment.SetEnvironmentVariable only changes .NET's own copy of the
            // environment; the native library reads environ through getenv, so libc's setenv is needed.
            Environment.SetEnvironmentVariable("ORT_DISABLE_TELEMETRY", "1");
            if (!OperatingSystem.IsWindows())
            {
                _ = SetEnv("ORT_DISABLE_TELEMETRY", "1", 1);
            }

            _ = NativeHeap.Configure();
            var env = OrtEnv.Instance();
            env.DisableTelemetryEvents();
            s_env = env;
            return env;
        }
    }

    /// <summary>True when the CUDA plugin library was deployed next to the application.</summary>
    public static bool CudaPluginPresent => File.Exists(Path.Combine(AppContext.BaseDirectory, CudaPluginFileName));

    /// <summary>
    /// Registers the CUDA execution provider plugin with the environment (once) and returns the CUDA
    /// devices it found.
    /// </summary>
    /// <exception cref="InvalidOperationException">The plugin is not deployed, or no CUDA device is usable (with the reason).</exception>
    public static IReadOnlyList<OrtEpDevice> GetCudaDevices()
    {
        var env = EnsureInitialized();
        lock (s_gate)
        {
            if (!s_cudaRegistered)
            {
                var path = Path.Combine(AppContext.BaseDirectory, CudaPluginFileName);
                if (!File.Exists(path))
                {
                    throw new InvalidOperationException(
                        $"The CUDA execution provider is not deployed ({CudaPluginFileName} is not next to the worker): build with -p:NvEmbedCuda=true.");
                }

                try
                {
                    env.RegisterExecutionProviderLibrary("CUDA", path);
                }
                catch (OnnxRuntimeException ex)
                {
                    throw new InvalidOperationException(
                        $"Loading {CudaPluginFileName} failed (it needs CUDA 13: libcudart, libcublas, libcublasLt, libcurand 10 and cuDNN 9 on the library path): {ex.Message}", ex);
                }

                s_cudaRegistered = true;
            }
        }

        var devices = env.GetEpDevices().Where(d => d.EpName.Contains("CUDA", StringComparison.OrdinalIgnoreCase)).ToList();
        if (devices.Count == 0)
        {
            throw new InvalidOperationException("The CUDA execution provider loaded but found no GPU.");
        }

        return devices;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
