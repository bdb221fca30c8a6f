using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Onnx;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Backends;

public sealed class CudaBackendTests
{
    [CudaFact]
    public void Run_OnCuda_AgreesWithReferenceForEveryVariantAndPrecision()
    {
        // Arrange
        using var temp = new TempDirectory();
        var source = ModelFiles.CreateTiny(temp.Combine("m"));
        var reference = ReferenceLlamaEncoder.Load(source);
        int[] lengths = [1, 7, 128, 1024];
        (GraphVariant Variant, string Precision, double Bound)[] cases =
        [
            (GraphVariant.Plain, "fp32", 0.99999), (GraphVariant.Fused, "fp32", 0.99999), (GraphVariant.FusedMha, "fp32", 0.99999),
            (GraphVariant.Fused, "fp16", 0.999), (GraphVariant.Fused, "bf16", 0.999), (GraphVariant.FusedMha, "fp16", 0.999), (GraphVariant.FusedMha, "bf16", 0.999),
        ];

        foreach (var (variant, precision, bound) in cases)
        {
            var dir = ModelFiles.CopyOf(source, temp.Combine($"{variant}-{precision}"));

            // Act
            using var backend = OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions { ExecutionProvider = "cuda", GraphVariant = variant, Precision = precision });

            // Assert
            Assert.Equal("cuda", backend.Info.ExecutionProvider);
            Assert.True(backend.UsesCudaPinnedMemory, "the CUDA session offered no page-locked allocator");
            foreach (var length in lengths)
            {
                var ids = TinyModelFixture.IdsOfLength(length);
                var cosine = VectorMath.Cosine(TinyModelFixture.EmbedAlone(backend, ids), reference.Embed(ids));
                Assert.True(cosine >= bound, $"{variant} {precision} length {length}: cosine {cosine}");
            }
        }
    }

    [Fact]
    public void Open_CudaOnTheCpuBuildOrWithoutGpu_FailsWithWhatIsNeeded()
    {
        // Arrange
        if (OrtRuntime.CudaProviderBuilt && (File.Exists("/dev/nvidia0") || File.Exists("/dev/nvidiactl")))
        {
            return; // a GPU host with the CUDA build: the CUDA path is checked above
        }

        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));

        // Act
        var error = Assert.Throws<InvalidOperationException>(() => OnnxBackend.Open(ModelDirectory.Open(dir), new OnnxBackendOptions { ExecutionProvider = "cuda" }));

        // Assert: it says what to do, and no graph was built for a provider that cannot run it.
        Assert.Contains(OrtRuntime.CudaProviderBuilt ? "CUDA 13" : "-p:NvEmbedCuda=true", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "onnx")));
    }
}
