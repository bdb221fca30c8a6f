using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Models.Generation;

/// <summary>
/// The model served when none is configured: the target model's interface (2048-dimensional
/// output, Matryoshka 384–2048, 8192 tokens, vocab 128256, the real Llama 3 tokenizer, the NIM's
/// served name) with generated weights and a shallower, narrower stack, so downstream systems sized
/// for the real model work unchanged while the answers carry no meaning.
/// </summary>
public static class DefaultModel
{
    /// <summary>Bumped whenever the generated default changes; a cached copy of another version is rebuilt.</summary>
    public const string GeneratorVersion = "1";

    /// <summary>The served model name (the NIM's).</summary>
    public const string ServedModelName = "nvidia/llama-3.2-nv-embedqa-1b-v2";

    /// <summary>
    /// The sizes: hidden 2048 and 32/8 heads × 64 are the target's (the output size and attention
    /// layout), vocab 128256 matches the tokenizer. Depth 2 and MLP 2048 (target: 16 and 8192) keep a
    /// short query at tens of milliseconds on a 2-core CPU: about 23 M multiply-adds per token per
    /// layer, and ~0.5 GB of bf16 weights of which the embedding table is most.
    /// </summary>
    public static GeneratedModelSpec Spec { get; } = new()
    {
        HiddenSize = 2048,
        NumLayers = 2,
        NumHeads = 32,
        NumKeyValueHeads = 8,
        HeadDim = 64,
        IntermediateSize = 2048,
        VocabSize = 128256,
        MaxTokens = 8192,
        DType = SafetensorsDType.BF16,
        Seed = 20240901,
        Dimensions = [384, 512, 768, 1024, 2048],
        ServedModelName = ServedModelName,
        Description = "NvEmbed's built-in stand-in for nvidia/llama-3.2-nv-embedqa-1b-v2: same interface (2048-dim output, "
            + "Matryoshka 384/512/768/1024/2048, 8192 tokens, Llama 3 tokenizer) but GENERATED random weights with 2 layers and "
            + "MLP width 2048 instead of 16 and 8192. Its vectors are not meaningful: configure NVEMBED_MODEL_DIR for real embeddings.",
    };

    /// <summary>
    /// Returns the directory of the default model under <paramref name="cacheRoot"/>, generating and
    /// building it the first time (or when <see cref="GeneratorVersion"/> changed). Safe to call from
    /// several processes at once: one builds while the others wait.
    /// </summary>
    public static string EnsureCreated(string cacheRoot, IProgress<string>? progress = null) => EnsureCreated(cacheRoot, Spec, "default", progress);

    /// <summary>As <see cref="EnsureCreated(string, IProgress{string}?)"/> for any spec (tests use small ones).</summary>
    public static string EnsureCreated(string cacheRoot, GeneratedModelSpec spec, string name, IProgress<string>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheRoot);
        ArgumentNullException.ThrowIfNull(spec);
        Directory.CreateDirectory(cacheRoot);
        var directory = Path.Combine(cacheRoot, $"{name}-v{GeneratorVersion}-g{LlamaOnnxBuilder.GeneratorVersion}");
        var marker = Path.Combine(directory, ".complete");
        if (File.Exists(marker))
        {
            return directory;
        }

        using var gate = AcquireLock(Path.Combine(cacheRoot, name + ".lock"), progress);
        if (File.Exists(marker))
        {
            return directory;
        }

        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true); // an interrupted earlier attempt
        }

        var started = DateTime.UtcNow;
        var temp = directory + ".partial";
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        GeneratedModel.Create(temp, spec, progress);
        LlamaOnnxBuilder.Build(ModelDirectory.Open(temp), new LlamaOnnxBuildOptions(), progress);
        Directory.Move(temp, directory);
        File.WriteAllText(marker, GeneratorVersion + "\n");
        progress?.Report($"default model ready in {(DateTime.UtcNow - started).TotalSeconds:F1} s: {directory}");
        return directory;
    }

    private static FileStream AcquireLock(string path, IProgress<string>? progress)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!told)
                {
                    progress?.Report($"another process is creating the model ({path}); waiting");
                    told = true;
                }

                Thread.Sleep(250);
            }
        }
    }
}
