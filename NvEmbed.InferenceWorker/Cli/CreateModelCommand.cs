using NvEmbed.InferenceWorker.Models.Generation;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>
/// <c>create-model --out &lt;dir&gt; [--default | --target-size] [--hidden N] [--layers N] [--heads N] [--kv-heads N]
/// [--head-dim N] [--intermediate N] [--vocab N] [--dtype bf16|fp16|fp32] [--seed N] [--shards N] [--weight-std X]</c>: writes a generated model
/// directory. <c>--default</c> creates (once; cached) the embedded default model, built and ready, in
/// <c>--out</c>'s cache and prints its directory on stdout.
/// </summary>
public static class CreateModelCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(CommandArguments args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var outDir = args.Require("out");
        var progress = new StderrProgress(error);
        if (args.Has("default"))
        {
            args.RejectUnknown();
            var directory = DefaultModel.EnsureCreated(outDir, progress);
            output.WriteLine(directory);
            output.Flush();
            return 0;
        }

        var baseSpec = args.Has("target-size") ? GeneratedModelSpec.TargetSize : new GeneratedModelSpec();
        var dtype = args.Get("dtype");
        var spec = baseSpec with
        {
            HiddenSize = args.GetInt("hidden", baseSpec.HiddenSize),
            NumLayers = args.GetInt("layers", baseSpec.NumLayers),
            NumHeads = args.GetInt("heads", baseSpec.NumHeads),
            NumKeyValueHeads = args.GetInt("kv-heads", baseSpec.NumKeyValueHeads),
            IntermediateSize = args.GetInt("intermediate", baseSpec.IntermediateSize),
            VocabSize = args.GetInt("vocab", baseSpec.VocabSize),
            Seed = (ulong)args.GetInt("seed", (int)baseSpec.Seed),
            Shards = Math.Max(1, args.GetInt("shards", 1)),
            WeightStd = args.GetFloat("weight-std", baseSpec.WeightStd),
            DType = dtype is null ? baseSpec.DType : SafetensorsDTypes.ParsePrecision(dtype),
        };
        if (args.Has("head-dim"))
        {
            spec = spec with { HeadDim = args.GetInt("head-dim", 0) };
        }
        else if (args.Has("hidden") || args.Has("heads"))
        {
            spec = spec with { HeadDim = spec.HiddenSize / Math.Max(1, spec.NumHeads) };
        }

        args.RejectUnknown();
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
        {
            throw new CommandLineException($"{outDir} exists and is not empty; choose a new directory.");
        }

        try
        {
            GeneratedModel.Create(outDir, spec, progress);
        }
        catch (Models.ModelFormatException ex)
        {
            throw new CommandLineException(ex.Message);
        }

        return 0;
    }
}
