namespace NvEmbed.InferenceWorker.Batching;

/// <summary>Opens the model the worker serves. The default opens ONNX Runtime sessions; tests substitute their own.</summary>
public interface IModelLoader
{
    /// <summary>Opens the model with one backend per session. Slow (may build the graph); runs off the request path.</summary>
    LoadedModel Load(CancellationToken cancellationToken);
}
