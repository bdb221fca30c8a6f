using System.ComponentModel.DataAnnotations;
using NvEmbed.InferenceWorker.Backends;

namespace NvEmbed.InferenceWorker.Extensions;

/// <summary>
/// What the worker loads and on which devices. Bound from the configuration section
/// <c>InferenceWorker</c> (environment: <c>InferenceWorker__Sessions=2</c>, <c>InferenceWorker__DeviceIds__0=1</c>, ...);
/// <see cref="ModelDir"/> also from <c>NVEMBED_MODEL_DIR</c>, the name every NvEmbed service reads.
/// </summary>
public sealed class InferenceWorkerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "InferenceWorker";

    /// <summary>
    /// The model directory (config.json, tokenizer.json, weights, nvembed.json). Default: <c>NVEMBED_MODEL_DIR</c>;
    /// when that is unset too, the embedded default model, generated once into <see cref="CacheDir"/>.
    /// </summary>
    public string? ModelDir { get; set; }

    /// <summary>
    /// Where the embedded default model is generated when no model directory is set. Default:
    /// <c>NIM_CACHE_PATH</c>, else <c>$XDG_CACHE_HOME/nvembed</c>, else <c>~/.cache/nvembed</c> (the NIM's cache variable).
    /// </summary>
    public string? CacheDir { get; set; }

    /// <summary>
    /// ONNX Runtime sessions fed by the one queue. Default 1: one session keeps a GPU busy when batches
    /// are prepared ahead; on a CPU a second session only splits the same cores. Sessions are spread
    /// over <see cref="DeviceIds"/> round robin (2 sessions on devices [0, 1] = one per GPU).
    /// </summary>
    [Range(1, 64)]
    public int Sessions { get; set; } = 1;

    /// <summary>CUDA devices to use, by index. Default empty = device 0. Ignored on the CPU.</summary>
    public int[] DeviceIds { get; set; } = [];

    /// <summary>
    /// "cpu" or "cuda". Default "cpu": it runs everywhere. CUDA needs the CUDA build (<c>-p:NvEmbedCuda=true</c>),
    /// an NVIDIA GPU and CUDA 13 + cuDNN 9 on the library path; without them loading fails with a message
    /// saying which, and the worker stays NOT_SERVING.
    /// </summary>
    [RegularExpression("^(cpu|cuda)$", ErrorMessage = "ExecutionProvider must be \"cpu\" or \"cuda\".")]
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>
    /// CPU threads per session. Default 0 = the process's cores shared out over the sessions
    /// (<see cref="ThreadsPerSession"/>).
    /// </summary>
    [Range(0, 1024)]
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's CPU threads spin between parallel sections. Default false; see
    /// <see cref="OnnxBackendOptions.AllowSpinning"/> for the measurement.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// The intra-op threads each session gets: <see cref="IntraOpThreads"/> when set, else
    /// <see cref="Environment.ProcessorCount"/> / <see cref="Sessions"/> (at least 1) on the CPU, so N
    /// CPU sessions share the cores instead of each taking all of them.
    /// </summary>
    public int ThreadsPerSession => OnnxBackendOptions.ThreadsPerSession(IntraOpThreads, Sessions);

    /// <summary>
    /// What a graph built from safetensors computes in ("fp32", "fp16", "bf16"). Default null: fp32 on the
    /// CPU, fp16 on CUDA (see <see cref="OnnxBackendOptions.Precision"/>).
    /// </summary>
    [RegularExpression("^(fp32|fp16|bf16)$", ErrorMessage = "Precision must be fp32, fp16 or bf16.")]
    public string? Precision { get; set; }

    /// <summary>A ready-made ONNX model used instead of the directory's onnx/ (the NIM's <c>NIM_CUSTOM_MODEL</c>). Default null.</summary>
    public string? CustomModelPath { get; set; }

    /// <summary>The device of session <paramref name="session"/>.</summary>
    public int DeviceFor(int session) => DeviceIds.Length == 0 ? 0 : DeviceIds[session % DeviceIds.Length];
}
