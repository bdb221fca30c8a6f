using NvEmbed.InferenceWorker.Models.Onnx;

namespace NvEmbed.InferenceWorker.Backends;

/// <summary>How <see cref="OnnxBackend"/> opens a model.</summary>
public sealed record OnnxBackendOptions
{
    /// <summary>"cpu" or "cuda". Default "cpu": it runs everywhere; CUDA needs the CUDA build (-p:NvEmbedCuda=true) and a GPU.</summary>
    public string ExecutionProvider { get; init; } = "cpu";

    /// <summary>Which CUDA device (CUDA's index). Default 0.</summary>
    public int DeviceId { get; init; }

    /// <summary>
    /// CPU threads for one inference. Default 0: every core this process may use
    /// (<see cref="Environment.ProcessorCount"/>, which honours the affinity mask and a container's CPU
    /// limit), right when the worker has the machine to itself. ONNX Runtime's own default is not used:
    /// on a 2-core VM it ran one thread and left the other core idle under load.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin, waiting for more work, after each parallel section instead of
    /// sleeping. Default false: on the CPU they then hold every core for a while after a batch, just when the answer's
    /// path (the worker's gRPC response, the Api, the gateway, the tokenizer's next call) needs one. Measured on the
    /// 2-core development VM, full stack, default model, side by side: one 16-token query through the gateway went from
    /// inference + 3.9–4.2 ms to inference + 2.4–2.6 ms with spinning off, at the same or better throughput with 32
    /// callers (78 requests/s both; 72–78 with spinning on). A machine whose worker has cores to itself may turn it on.
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>The intra-op thread count a session opens with: <see cref="IntraOpThreads"/>, or all cores when it is 0.</summary>
    public int ResolvedIntraOpThreads => ThreadsPerSession(IntraOpThreads, sessions: 1);

    /// <summary>
    /// Threads for each of <paramref name="sessions"/> CPU sessions: <paramref name="configured"/> when
    /// above 0, else the process's cores shared out over the sessions (at least 1 each).
    /// </summary>
    public static int ThreadsPerSession(int configured, int sessions) =>
        configured > 0 ? configured : Math.Max(1, Environment.ProcessorCount / Math.Max(1, sessions));

    /// <summary>
    /// Compute precision of a graph built from safetensors: "fp32", "fp16" or "bf16" (a graph built in
    /// another precision is rebuilt). Default null: fp32 on the CPU (its provider has no fast 16-bit
    /// kernels), fp16 on CUDA (tensor cores; fp16 keeps 3 more mantissa bits than bf16, and the fidelity
    /// check bounds its range).
    /// </summary>
    public string? Precision { get; init; }

    /// <summary>The precision a built graph gets: <see cref="Precision"/>, or the provider's default.</summary>
    public string ResolvedPrecision => Precision ?? (string.Equals(ExecutionProvider, "cuda", StringComparison.OrdinalIgnoreCase) ? "fp16" : "fp32");

    /// <summary>
    /// When set, ONNX Runtime's profiler records every node of every run into a JSON trace whose file
    /// name starts with this prefix (written when the backend is disposed). Default null: off.
    /// </summary>
    public string? ProfileFilePrefix { get; init; }

    /// <summary>Plain or fused operators for a built graph. Default <see cref="GraphVariant.Fused"/> (faster; checked against plain by the tests).</summary>
    public GraphVariant GraphVariant { get; init; } = GraphVariant.Fused;

    /// <summary>
    /// A ready-made ONNX model (a .onnx file, or a folder holding one) used instead of the model
    /// directory's onnx/. The NIM's <c>NIM_CUSTOM_MODEL</c> maps here. Default null.
    /// </summary>
    public string? CustomModelPath { get; init; }

    /// <summary>Build onnx/ from the weights when it is missing or stale. Default true (the first start builds, with progress).</summary>
    public bool BuildIfMissing { get; init; } = true;
}
