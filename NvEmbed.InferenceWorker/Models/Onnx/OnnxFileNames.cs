namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>File names inside <c>onnx/</c>.</summary>
public static class OnnxFileNames
{
    /// <summary>The external data file beside <c>model.onnx</c> when the weights are too large to inline.</summary>
    public const string ExternalData = "model.onnx.data";
}
