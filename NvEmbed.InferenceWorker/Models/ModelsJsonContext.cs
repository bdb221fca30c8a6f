using System.Text.Json.Serialization;
using NvEmbed.InferenceWorker.Models.Onnx;

namespace NvEmbed.InferenceWorker.Models;

/// <summary>Source-generated JSON for the files the model code writes.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(OnnxBuildManifest))]
internal sealed partial class ModelsJsonContext : JsonSerializerContext;
