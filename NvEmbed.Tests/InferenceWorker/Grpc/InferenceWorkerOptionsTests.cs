using Microsoft.Extensions.Options;

namespace NvEmbed.Tests.InferenceWorker.Grpc;

public class InferenceWorkerOptionsTests
{
    [Theory]
    [InlineData("InferenceWorker:Batching:MaxQueueTokens", "100", "MaxQueueTokens")]
    [InlineData("InferenceWorker:ExecutionProvider", "tpu", "ExecutionProvider")]
    [InlineData("InferenceWorker:Sessions", "0", "Sessions")]
    public async Task Start_InvalidOption_FailsNamingIt(string key, string value, string expected)
    {
        // Arrange
        var loader = new TestModelLoader(new Batching.TestBackend());

        // Act
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            InferenceWorkerTestServer.StartAsync(loader, new Dictionary<string, string?> { [key] = value }).WaitAsync(InferenceWorkerTestServer.Timeout));

        // Assert
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Start_ModelDirFromNvembedModelDir_BoundOntoOptions()
    {
        // Arrange
        var loader = new TestModelLoader(new Batching.TestBackend());

        // Act
        await using var server = await InferenceWorkerTestServer.StartAsync(loader, new Dictionary<string, string?>
        {
            ["NVEMBED_MODEL_DIR"] = "/models/x",
            ["InferenceWorker:DeviceIds:0"] = "2",
            ["InferenceWorker:DeviceIds:1"] = "5",
            ["InferenceWorker:Sessions"] = "3",
        });
        var options = server.Options;

        // Assert
        Assert.Equal("/models/x", options.ModelDir);
        Assert.Equal([2, 5, 2], Enumerable.Range(0, options.Sessions).Select(options.DeviceFor));
    }
}
