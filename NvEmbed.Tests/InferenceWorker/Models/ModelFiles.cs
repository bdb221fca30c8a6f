using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.Tests.InferenceWorker.Models;

/// <summary>Helpers that make and alter model directories for tests.</summary>
internal static class ModelFiles
{
    /// <summary>A tiny fp32 model (the numerical checks' spec) in <paramref name="directory"/>.</summary>
    public static string CreateTiny(string directory, GeneratedModelSpec? spec = null)
    {
        GeneratedModel.Create(directory, spec ?? TinyModelFixture.Spec);
        return directory;
    }

    /// <summary>A copy of the files (not the onnx/ folder) of <paramref name="source"/> in <paramref name="directory"/>.</summary>
    public static string CopyOf(string source, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        return directory;
    }

    /// <summary>
    /// Rewrites model.safetensors keeping each tensor that <paramref name="change"/> returns (possibly
    /// reshaped) and dropping those it returns null for.
    /// </summary>
    public static void RewriteWeights(string directory, Func<string, long[], long[]?> change)
    {
        var path = Path.Combine(directory, SafetensorsWeights.SingleFileName);
        var copies = new List<SafetensorsWriter.Entry>();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var tensor in file.Tensors.Values.OrderBy(t => t.Offset))
            {
                var shape = change(tensor.Name, tensor.Shape);
                if (shape is null)
                {
                    continue;
                }

                var count = shape.Aggregate(1L, (a, b) => a * b);
                var bytes = new byte[count * SafetensorsDTypes.SizeOf(tensor.DType)];
                var source = file.GetBytes(tensor);
                source[..Math.Min(source.Length, bytes.Length)].CopyTo(bytes);
                copies.Add(new SafetensorsWriter.Entry(tensor.Name, tensor.DType, shape, s => s.Write(bytes)));
            }
        }

        SafetensorsWriter.Write(path, copies);
    }

    /// <summary>Float32 tensor entry for the writer.</summary>
    public static SafetensorsWriter.Entry Entry(string name, long[] shape, float[] values) =>
        new(name, SafetensorsDType.F32, shape, stream =>
        {
            var bytes = new byte[values.Length * 4];
            Numerics.FromSingle(SafetensorsDType.F32, values, bytes);
            stream.Write(bytes);
        });
}
