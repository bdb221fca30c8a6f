using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>
/// The one place ONNX Runtime is initialised. Every process that loads ONNX Runtime calls
/// <see cref="EnsureInitialized"/> before touching any of its types: it puts
/// <c>ORT_DISABLE_TELEMETRY=1</c> into the native process environment before the native library
/// loads, creates the process-wide environment, and turns telemetry events off there as well. It also
/// tunes the native heap for batches (<see cref="NativeHeap"/>) and adds the CUDA execution provider.
/// </summary>
public static partial class OrtRuntime
{
    /// <summary>ONNX Runtime's name of the CUDA execution provider.</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    private static readonly Lock s_gate = new();
    private static OrtEnv? s_env;

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

    /// <summary>
    /// True when the ONNX Runtime this process loaded has the CUDA execution provider compiled in (the
    /// <c>-p:NvEmbedCuda=true</c> build, NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux). Says nothing about
    /// whether a GPU and the CUDA libraries are there: <see cref="AppendCuda"/> finds that out.
    /// </summary>
    public static bool CudaProviderBuilt => EnsureInitialized().GetAvailableProviders().Contains(CudaProviderName);

    /// <summary>
    /// Adds ONNX Runtime's CUDA execution provider on <paramref name="deviceId"/> to <paramref name="options"/>
    /// (nodes it has no kernel for fall back to the CPU). TF32 is turned off so float32 graphs compute in
    /// float32 (they are the reference the 16-bit graphs are checked against); 16-bit graphs do not use it.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// This build has no CUDA provider, or the provider cannot load (no driver, or CUDA 13 / cuDNN 9
    /// libraries missing): the message says which and what is needed.
    /// </exception>
    public static void AppendCuda(Microsoft.ML.OnnxRuntime.SessionOptions options, int deviceId)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        if (!CudaProviderBuilt)
        {
            throw new InvalidOperationException(
                "This worker was built with ONNX Runtime's CPU package, which has no CUDA execution provider: build, run or publish it with -p:NvEmbedCuda=true.");
        }

        try
        {
            // NOTE: the provider library (and with it CUDA's) is loaded by the first call that touches the
            // options, UpdateOptions, not by AppendExecutionProvider_CUDA.
            using var cuda = new OrtCUDAProviderOptions();
            cuda.UpdateOptions(new Dictionary<string, string>
            {
                ["device_id"] = deviceId.ToString(CultureInfo.InvariantCulture),
                ["use_tf32"] = "0",
            });
            options.AppendExecutionProvider_CUDA(cuda);
        }
        catch (OnnxRuntimeException ex)
        {
            throw CudaUnavailable(deviceId, ex);
        }
    }

    /// <summary>The error for a CUDA provider that failed to load or start, with what it needs.</summary>
    public static InvalidOperationException CudaUnavailable(int deviceId, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        return new InvalidOperationException(
            string.Create(CultureInfo.InvariantCulture, $"The CUDA execution provider could not start on GPU {deviceId}: {cause.Message.Trim()} ")
            + "It needs an NVIDIA GPU with its driver, and CUDA 13 (libcudart, libcublas and libcublasLt .so.13, libcurand .so.10) and cuDNN 9 on the library path (LD_LIBRARY_PATH).",
            cause);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
