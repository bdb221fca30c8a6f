namespace NvEmbed.InferenceWorker.Backends;

/// <summary>The input/output convention an ONNX model follows, found from its own metadata.</summary>
public enum OnnxModelKind
{
    /// <summary>A graph NvEmbed built: <c>input_ids, attention_mask → embeddings</c> (pooled and normalised).</summary>
    NvEmbedBuilt,

    /// <summary>The NIM custom-model convention: <c>input_ids, attention_mask, dimensions → embeddings</c>.</summary>
    NimCustom,

    /// <summary>A Hugging Face export: <c>input_ids, attention_mask → last_hidden_state</c>, mean-pooled by NvEmbed.</summary>
    HuggingFaceExport,
}
