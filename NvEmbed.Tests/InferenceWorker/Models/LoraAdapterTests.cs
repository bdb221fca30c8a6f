using System.Globalization;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.InferenceWorker.Models.Safetensors;

namespace NvEmbed.Tests.InferenceWorker.Models;

public sealed class LoraAdapterTests
{
    private const int Rank = 4;
    private const double Alpha = 8;

    [Fact]
    public void Build_WithLoraAdapter_MatchesReferenceOverMergedWeights()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var adapterDir = temp.Combine("adapter");
        var factors = WriteAdapter(adapterDir, ["q_proj", "v_proj", "down_proj"]);
        var ids = VectorMath.RandomIds(33, TinyModelFixture.Spec.VocabSize, 5);
        var reference = ReferenceLlamaEncoder.Load(dir);
        var baseVector = reference.Embed(ids);
        foreach (var (weight, (a, b, outputs, inputs)) in factors)
        {
            // W += (alpha / r) · B · A, computed here with plain loops.
            var w = reference.Weights[weight];
            for (var o = 0; o < outputs; o++)
            {
                for (var i = 0; i < inputs; i++)
                {
                    double sum = 0;
                    for (var k = 0; k < Rank; k++)
                    {
                        sum += b[(o * Rank) + k] * (double)a[(k * inputs) + i];
                    }

                    w[(o * inputs) + i] = (float)(w[(o * inputs) + i] + (Alpha / Rank * sum));
                }
            }
        }

        var mergedVector = reference.Embed(ids);

        // Act
        LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions { Variant = GraphVariant.Plain, LoraDirectory = adapterDir });
        using var backend = OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions { GraphVariant = GraphVariant.Plain });
        var actual = TinyModelFixture.EmbedAlone(backend, ids);

        // Assert
        Assert.True(VectorMath.Cosine(actual, mergedVector) >= 0.99999, $"merged cosine {VectorMath.Cosine(actual, mergedVector)}");
        Assert.True(VectorMath.Cosine(actual, baseVector) < 0.999, $"the adapter changed nothing: cosine to base {VectorMath.Cosine(actual, baseVector)}");
    }

    [Fact]
    public void Build_AdapterForModuleTheModelLacks_Fails()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var adapterDir = temp.Combine("adapter");
        Directory.CreateDirectory(adapterDir);
        File.WriteAllText(Path.Combine(adapterDir, "adapter_config.json"), """{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"]}""");
        SafetensorsWriter.Write(Path.Combine(adapterDir, "adapter_model.safetensors"),
        [
            ModelFiles.Entry("base_model.model.layers.9.self_attn.q_proj.lora_A.weight", [4, 64], new float[256]),
            ModelFiles.Entry("base_model.model.layers.9.self_attn.q_proj.lora_B.weight", [64, 4], new float[256]),
        ]);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => LlamaOnnxBuilder.Build(ModelDirectory.Open(dir), new LlamaOnnxBuildOptions { LoraDirectory = adapterDir }));

        // Assert
        Assert.Contains("layers.9.self_attn.q_proj.weight", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, (float[] A, float[] B, int Outputs, int Inputs)> WriteAdapter(string directory, string[] modules)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "adapter_config.json"), string.Create(CultureInfo.InvariantCulture,
            $$"""{"peft_type":"LORA","r":{{Rank}},"lora_alpha":{{Alpha}},"target_modules":[{{string.Join(",", modules.Select(m => "\"" + m + "\""))}}],"use_rslora":false}"""));
        var config = TinyModelFixture.Spec.ToConfig();
        var shapes = LlamaOnnxBuilder.ExpectedShapes(config);
        var random = new Random(11);
        var entries = new List<SafetensorsWriter.Entry>();
        var factors = new Dictionary<string, (float[], float[], int, int)>(StringComparer.Ordinal);
        foreach (var (weight, shape) in shapes)
        {
            var module = weight.Split('.')[^2];
            if (!modules.Contains(module))
            {
                continue;
            }

            var (outputs, inputs) = ((int)shape[0], (int)shape[1]);
            var a = Enumerable.Range(0, Rank * inputs).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.2f).ToArray();
            var b = Enumerable.Range(0, outputs * Rank).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.2f).ToArray();
            var stem = "base_model.model." + weight[..^".weight".Length];
            entries.Add(ModelFiles.Entry(stem + ".lora_A.weight", [Rank, inputs], a));
            entries.Add(ModelFiles.Entry(stem + ".lora_B.weight", [outputs, Rank], b));
            factors[weight] = (a, b, outputs, inputs);
        }

        SafetensorsWriter.Write(Path.Combine(directory, "adapter_model.safetensors"), entries);
        return factors;
    }
}
