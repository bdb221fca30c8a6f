using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>
/// <c>build --model-dir &lt;dir&gt; [--precision fp32|fp16|bf16] [--variant fused|fused-mha|plain] [--lora &lt;adapter-dir&gt;]
/// [--external-data]</c>: writes <c>&lt;dir&gt;/onnx/</c> from config.json + safetensors (default fp32, fused).
/// </summary>
public static class BuildCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(CommandArguments args, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var modelDir = args.Require("model-dir");
        var precision = args.Get("precision");
        var options = new LlamaOnnxBuildOptions
        {
            Precision = precision is null ? SafetensorsDType.F32 : SafetensorsDTypes.ParsePrecision(precision),
            Variant = ParseVariant(args.Get("variant")),
            LoraDirectory = args.Get("lora"),
            ExternalDataThresholdBytes = args.Has("external-data") ? 0 : new LlamaOnnxBuildOptions().ExternalDataThresholdBytes,
        };
        args.RejectUnknown();
        var model = ModelDirectory.Open(modelDir);
        LlamaOnnxBuilder.Build(model, options, new StderrProgress(error));
        return 0;
    }

    /// <summary>Parses "fused", "fused-mha" or "plain" (default fused).</summary>
    public static GraphVariant ParseVariant(string? value)
    {
        try
        {
            return value is null ? GraphVariant.Fused : GraphVariants.Parse(value);
        }
        catch (ArgumentException)
        {
            throw new CommandLineException($"--variant must be fused, fused-mha or plain, not '{value}'.");
        }
    }
}
