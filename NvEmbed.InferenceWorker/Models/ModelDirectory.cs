using NvEmbed.Contracts.ModelRepository;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models;

/// <summary>
/// A model directory as the worker sees it: <c>config.json</c> + safetensors weights (built into
/// <c>onnx/</c> by <see cref="Onnx.LlamaOnnxBuilder"/>), or a ready-made <c>onnx/model.onnx</c>;
/// plus <c>nvembed.json</c> serving settings and <c>tokenizer.json</c>.
/// </summary>
public sealed class ModelDirectory
{
    /// <summary>The folder that holds the ONNX graph.</summary>
    public const string OnnxFolderName = "onnx";

    /// <summary>The graph's file name inside <see cref="OnnxFolderName"/>.</summary>
    public const string OnnxFileName = "model.onnx";

    private readonly Lazy<string> _fingerprint;

    private ModelDirectory(string path, LlamaConfig? config, ModelServingSettings settings)
    {
        Path = path;
        Config = config;
        Settings = settings;
        _fingerprint = new Lazy<string>(() => ModelFingerprint.Compute(path));
    }

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <summary>The architecture from config.json, or null for a directory that only has a ready-made ONNX model.</summary>
    public LlamaConfig? Config { get; }

    /// <summary>Serving settings from nvembed.json (defaults when the file is absent).</summary>
    public ModelServingSettings Settings { get; }

    /// <summary>The directory's fingerprint (<see cref="ModelFingerprint"/>), computed on first use.</summary>
    public string Fingerprint => _fingerprint.Value;

    /// <summary>True when the directory has safetensors weights to build from.</summary>
    public bool HasWeights => SafetensorsWeights.Exists(Path);

    /// <summary><c>&lt;dir&gt;/onnx</c>.</summary>
    public string OnnxDirectory => System.IO.Path.Combine(Path, OnnxFolderName);

    /// <summary><c>&lt;dir&gt;/onnx/model.onnx</c> (built or ready-made).</summary>
    public string OnnxModelPath => System.IO.Path.Combine(OnnxDirectory, OnnxFileName);

    /// <summary>True when <see cref="OnnxModelPath"/> exists.</summary>
    public bool HasOnnx => File.Exists(OnnxModelPath);

    /// <summary><c>&lt;dir&gt;/tokenizer.json</c>.</summary>
    public string TokenizerPath => System.IO.Path.Combine(Path, "tokenizer.json");

    /// <summary>Opens <paramref name="path"/>: reads config.json (when present) and nvembed.json.</summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ModelFormatException">Neither weights with a config nor an ONNX model are there, or the config is invalid.</exception>
    public static ModelDirectory Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Model directory {full} does not exist.");
        }

        var hasConfig = File.Exists(System.IO.Path.Combine(full, LlamaConfig.FileName));
        var hasOnnx = File.Exists(System.IO.Path.Combine(full, OnnxFolderName, OnnxFileName));
        var hasWeights = SafetensorsWeights.Exists(full);
        LlamaConfig? config = null;
        if (hasWeights || (hasConfig && !hasOnnx))
        {
            config = LlamaConfig.Load(full);
        }
        else if (hasConfig)
        {
            // A ready-made ONNX model may come with a config of any architecture; read it when it is a Llama.
            try
            {
                config = LlamaConfig.Load(full);
            }
            catch (ModelFormatException)
            {
                config = null;
            }
        }

        if (!hasOnnx && !hasWeights)
        {
            throw new ModelFormatException($"{full}: no weights (model.safetensors or model.safetensors.index.json) and no {OnnxFolderName}/{OnnxFileName}.");
        }

        ModelServingSettings settings;
        try
        {
            settings = ModelServingSettings.Load(full);
        }
        catch (InvalidDataException ex)
        {
            throw new ModelFormatException(ex.Message, ex);
        }

        return new ModelDirectory(full, config, settings);
    }
}
