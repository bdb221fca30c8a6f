using NvEmbed.Api.KServe.V2;

namespace NvEmbed.Api.KServe;

/// <summary>
/// Cumulative counts and durations of the KServe surface's ModelInfer calls, for Triton's statistics extension
/// (ModelStatistics): successes and failures with their durations, inputs and worker executions, and the time spent
/// queued in the worker, tokenizing (compute_input), running the model (compute_infer) and building the answer
/// (compute_output). One model, so one set of counters, reported under whichever of its names is asked for.
/// </summary>
public sealed class KServeStatistics
{
    private readonly Lock _lock = new();
    private long _lastInferenceMs;
    private ulong _inferenceCount;
    private ulong _executionCount;
    private Counter _success;
    private Counter _fail;
    private Counter _queue;
    private Counter _computeInput;
    private Counter _computeInfer;
    private Counter _computeOutput;

    /// <summary>Records a ModelInfer that answered.</summary>
    /// <param name="inputs">Texts embedded.</param>
    /// <param name="executions">Worker calls they took.</param>
    /// <param name="total">The call, start to answer.</param>
    /// <param name="queue">Time in the worker's queue.</param>
    /// <param name="tokenization">Time of the tokenizer call.</param>
    /// <param name="inference">Time the model ran.</param>
    /// <param name="output">Time building the answer's tensors.</param>
    public void Succeeded(int inputs, int executions, TimeSpan total, TimeSpan queue, TimeSpan tokenization, TimeSpan inference, TimeSpan output)
    {
        lock (_lock)
        {
            _lastInferenceMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _inferenceCount += (ulong)inputs;
            _executionCount += (ulong)executions;
            _success.Add(total);
            _queue.Add(queue);
            _computeInput.Add(tokenization);
            _computeInfer.Add(inference);
            _computeOutput.Add(output);
        }
    }

    /// <summary>Records a ModelInfer that failed (bad input, overload, backend failure) after <paramref name="total"/>.</summary>
    public void Failed(TimeSpan total)
    {
        lock (_lock)
        {
            _lastInferenceMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _fail.Add(total);
        }
    }

    /// <summary>The counters as Triton's ModelStatistics message for model <paramref name="name"/>.</summary>
    public ModelStatistics Snapshot(string name, string version)
    {
        lock (_lock)
        {
            return new ModelStatistics
            {
                Name = name,
                Version = version,
                LastInference = (ulong)_lastInferenceMs,
                InferenceCount = _inferenceCount,
                ExecutionCount = _executionCount,
                InferenceStats = new InferStatistics
                {
                    Success = _success.ToMessage(),
                    Fail = _fail.ToMessage(),
                    Queue = _queue.ToMessage(),
                    ComputeInput = _computeInput.ToMessage(),
                    ComputeInfer = _computeInfer.ToMessage(),
                    ComputeOutput = _computeOutput.ToMessage(),
                    CacheHit = new StatisticDuration(),
                    CacheMiss = new StatisticDuration(),
                },
            };
        }
    }

    private struct Counter
    {
        private ulong _count;
        private ulong _nanoseconds;

        public void Add(TimeSpan duration)
        {
            _count++;
            _nanoseconds += (ulong)Math.Max(duration.Ticks, 0) * 100;
        }

        public readonly StatisticDuration ToMessage() => new() { Count = _count, Ns = _nanoseconds };
    }
}
