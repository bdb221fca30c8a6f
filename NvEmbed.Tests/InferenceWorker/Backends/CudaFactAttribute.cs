using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.Tests.InferenceWorker.Backends;

/// <summary>A fact that runs only where the CUDA plugin is deployed and an NVIDIA GPU is present; skipped with the reason otherwise.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!OrtRuntime.CudaPluginPresent)
        {
            Skip = $"The CUDA execution provider is not deployed ({OrtRuntime.CudaPluginFileName}): build with -p:NvEmbedCuda=true on a GPU host.";
        }
        else if (!File.Exists("/dev/nvidia0") && !File.Exists("/dev/nvidiactl"))
        {
            Skip = "No NVIDIA GPU on this machine (/dev/nvidia0 is absent).";
        }
    }
}
