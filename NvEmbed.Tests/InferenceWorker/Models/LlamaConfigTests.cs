using NvEmbed.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Models;

public sealed class LlamaConfigTests
{
    private const string TargetConfig = """
        {"architectures":["LlamaBidirectionalModel"],"model_type":"llama_bidirec","hidden_size":2048,"num_hidden_layers":16,
         "num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"intermediate_size":8192,"vocab_size":128256,
         "rms_norm_eps":1e-05,"rope_theta":500000.0,"max_position_embeddings":131072,"hidden_act":"silu",
         "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,"original_max_position_embeddings":8192,"rope_type":"llama3"}}
        """;

    [Fact]
    public void Load_TargetModelConfig_ReadsEverySize()
    {
        // Arrange
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("config.json"), TargetConfig);

        // Act
        var config = LlamaConfig.Load(temp.Path);

        // Assert
        Assert.Equal((2048, 16, 32, 8, 64, 8192, 128256), (config.HiddenSize, config.NumLayers, config.NumHeads, config.NumKeyValueHeads, config.HeadDim, config.IntermediateSize, config.VocabSize));
        Assert.Equal(new LlamaRopeScaling(32, 1, 4, 8192), config.RopeScaling);
        Assert.Equal(500000, config.RopeTheta);
    }

    [Fact]
    public void ComputeInverseFrequencies_Llama3Scaling_KeepsHighSlowsLowInterpolatesBetween()
    {
        // Arrange
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("config.json"), TargetConfig);
        var scaled = LlamaConfig.Load(temp.Path);
        var unscaled = scaled with { RopeScaling = null };

        // Act
        var withScaling = scaled.ComputeInverseFrequencies();
        var without = unscaled.ComputeInverseFrequencies();

        // Assert: wavelength 2π/f below 8192/4 is kept, above 8192/1 divided by 32, in between strictly between.
        for (var i = 0; i < without.Length; i++)
        {
            var wavelength = 2 * Math.PI / without[i];
            if (wavelength < 2048)
            {
                Assert.Equal(without[i], withScaling[i]);
            }
            else if (wavelength > 8192)
            {
                Assert.Equal(without[i] / 32, withScaling[i], 15);
            }
            else
            {
                Assert.InRange(withScaling[i], without[i] / 32, without[i]);
            }
        }
    }

    [Theory]
    [InlineData("""{"architectures":["BertModel"],"model_type":"bert","hidden_size":8}""", "BertModel")]
    [InlineData("""{"architectures":["LlamaModel"],"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":2,"intermediate_size":8,"vocab_size":8,"hidden_act":"gelu"}""", "gelu")]
    [InlineData("""{"architectures":["LlamaModel"],"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":2,"intermediate_size":8,"vocab_size":8}""", "multiple")]
    [InlineData("""{"architectures":["LlamaModel"],"num_hidden_layers":1}""", "hidden_size")]
    public void Load_UnsupportedOrIncomplete_FailsSayingWhy(string json, string expectedInMessage)
    {
        // Arrange
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Combine("config.json"), json);

        // Act
        var error = Assert.Throws<ModelFormatException>(() => LlamaConfig.Load(temp.Path));

        // Assert
        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }
}
