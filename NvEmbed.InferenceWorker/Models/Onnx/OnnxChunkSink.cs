namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>Receives consecutive chunks of an initializer's bytes.</summary>
public delegate void OnnxChunkSink(ReadOnlySpan<byte> chunk);
