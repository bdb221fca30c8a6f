using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.Tests.InferenceWorker.Backends;

/// <summary>
/// A fact that runs only in the CUDA build (<c>-p:NvEmbedCuda=true</c>) on a machine with an NVIDIA GPU;
/// skipped with the reason otherwise.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!OrtRuntime.CudaProviderBuilt)
        {
            Skip = "This is the CPU build of ONNX Runtime: run the tests with -p:NvEmbedCuda=true on a GPU host.";
        }
        else if (!File.Exists("/dev/nvidia0") && !File.Exists("/dev/nvidiactl"))
        {
            Skip = "No NVIDIA GPU on this machine (/dev/nvidia0 is absent).";
        }
    }
}
