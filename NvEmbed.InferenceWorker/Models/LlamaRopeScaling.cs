namespace NvEmbed.InferenceWorker.Models;

/// <summary>Llama 3 rotary-embedding frequency scaling (<c>rope_scaling</c> with <c>rope_type: llama3</c>).</summary>
/// <param name="Factor">Divisor of the low frequencies (32 for Llama 3.2).</param>
/// <param name="LowFrequencyFactor">Wavelengths above original / low are fully scaled (1).</param>
/// <param name="HighFrequencyFactor">Wavelengths below original / high are kept (4).</param>
/// <param name="OriginalMaxPositionEmbeddings">Context length the base model was trained at (8192).</param>
public sealed record LlamaRopeScaling(double Factor, double LowFrequencyFactor, double HighFrequencyFactor, int OriginalMaxPositionEmbeddings);
