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

    [Theory]
    [InlineData(null, false)]
    [InlineData("true", true)]
    public async Task Start_AllowSpinning_OffUnlessAsked(string? value, bool expected)
    {
        // Arrange
        var loader = new TestModelLoader(new Batching.TestBackend());
        var configuration = new Dictionary<string, string?>();
        if (value is not null)
        {
            configuration["InferenceWorker:AllowSpinning"] = value;
        }

        // Act
        await using var server = await InferenceWorkerTestServer.StartAsync(loader, configuration);

        // Assert
        Assert.Equal(expected, server.Options.AllowSpinning);
    }

    [Theory]
    [InlineData(null, null, 2048)]
    [InlineData("cuda", null, 16384)]
    [InlineData(null, "4096", 4096)]
    public async Task Start_BatchBudgetNotSet_CpuGetsTheCpuBudget(string? provider, string? budget, int expected)
    {
        // Arrange
        var loader = new TestModelLoader(new Batching.TestBackend());
        var configuration = new Dictionary<string, string?>();
        if (provider is not null)
        {
            configuration["InferenceWorker:ExecutionProvider"] = provider;
        }

        if (budget is not null)
        {
            configuration["InferenceWorker:Batching:MaxBatchTokens"] = budget;
        }

        // Act
        await using var server = await InferenceWorkerTestServer.StartAsync(loader, configuration);
        await server.WaitServingAsync();
        var info = await server.ModelInfoAsync();

        // Assert
        Assert.Equal((uint)expected, info.MaxBatchTokens);
    }

    [Fact]
    public async Task Start_NimBatchingVariables_MapOntoSchedulerOptions()
    {
        var loader = new TestModelLoader(new Batching.TestBackend());
        var configuration = new Dictionary<string, string?>
        {
            ["NIM_SERVER_MAX_WAIT_MS"] = "3",
            ["NIM_PIPELINE_MAX_BATCH_SIZE"] = "17",
        };

        await using var server = await InferenceWorkerTestServer.StartAsync(loader, configuration);
        await server.WaitServingAsync();

        Assert.Equal(TimeSpan.FromMilliseconds(3), server.SchedulerOptions.MaxBatchWait);
        Assert.Equal(17, server.SchedulerOptions.MaxBatchRows);
    }

    [Fact]
    public void ThreadsPerSession_NotSet_SharesTheProcessCoresOverTheSessions()
    {
        // Arrange
        var cores = Environment.ProcessorCount;
        static int Threads(int configured, int sessions) =>
            new NvEmbed.InferenceWorker.Extensions.InferenceWorkerOptions { IntraOpThreads = configured, Sessions = sessions }.ThreadsPerSession;

        // Act / Assert: 0 never reaches ONNX Runtime (whose own default ran one thread on a 2-core VM).
        Assert.Equal(cores, Threads(0, 1));
        Assert.Equal(1, Threads(0, 1024));
        Assert.Equal(Math.Max(1, cores / 2), Threads(0, 2));
        Assert.Equal(3, Threads(3, 1));
        Assert.Equal(3, Threads(3, 4));
    }
}
