using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Backends;

public sealed class CudaBackendTests
{
    [CudaFact]
    public void Run_OnCuda_AgreesWithReferenceForEveryVariant()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var reference = ReferenceLlamaEncoder.Load(dir);
        int[] lengths = [1, 7, 128, 1024];

        foreach (var variant in new[] { GraphVariant.Plain, GraphVariant.Fused })
        {
            // Act
            using var backend = OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions { ExecutionProvider = "cuda", GraphVariant = variant, Precision = "fp32" });

            // Assert
            Assert.Equal("cuda", backend.Info.ExecutionProvider);
            foreach (var length in lengths)
            {
                var ids = TinyModelFixture.IdsOfLength(length);
                var cosine = VectorMath.Cosine(TinyModelFixture.EmbedAlone(backend, ids), reference.Embed(ids));
                Assert.True(cosine >= 0.99999, $"{variant} length {length}: cosine {cosine}");
            }
        }
    }
}
