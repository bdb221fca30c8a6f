using Microsoft.Extensions.Options;
using NvEmbed.InferenceWorker.Extensions;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>Opens <see cref="InferenceWorkerOptions.ModelDir"/> with one ONNX Runtime session per configured session.</summary>
public sealed class OnnxModelLoader(IOptions<InferenceWorkerOptions> options) : IModelLoader
{
    /// <inheritdoc />
    public LoadedModel Load(CancellationToken cancellationToken) =>
        throw new InvalidOperationException(
            $"The ONNX Runtime backend is not available in this build yet (model directory: {options.Value.ModelDir ?? "unset"}).");
}
