using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Options;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api;

public sealed class NimEnvironmentTests
{
    [Fact]
    public async Task Map_NimVariables_SetTheApiOptions()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?>
        {
            ["NIM_TRITON_MAX_BATCH_SIZE"] = "50",
            ["NIM_MAX_SEQ_LEN"] = "512",
            ["NIM_SERVER_MAX_QUEUE_SIZE"] = "9",
            ["NIM_SERVER_REQUEST_TIMEOUT_S"] = "33",
            ["NIM_SERVER_HTTP_BODY_LIMIT_BYTES"] = "12345",
            ["NIM_SERVED_MODEL_NAME"] = "a,b",
            ["MODEL_VERSION"] = "7",
        });

        // Act
        var options = host.Services.GetRequiredService<IOptions<ApiOptions>>().Value;

        // Assert
        Assert.Equal(50, options.MaxBatchSize);
        Assert.Equal(512, options.MaxSequenceLength);
        Assert.Equal(9, options.MaxQueueSize);
        Assert.Equal(33, options.RequestTimeoutSeconds);
        Assert.Equal(12345, options.MaxRequestBodyBytes);
        Assert.Equal(["a", "b"], options.ServedModelNameList);
        Assert.Equal("7", options.ModelVersion);
    }

    [Fact]
    public async Task Map_ExplicitApiKey_WinsOverTheNimVariable()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?>
        {
            ["NIM_TRITON_MAX_BATCH_SIZE"] = "50",
            ["Api:MaxBatchSize"] = "64",
        });

        // Act
        var options = host.Services.GetRequiredService<IOptions<ApiOptions>>().Value;

        // Assert
        Assert.Equal(64, options.MaxBatchSize);
    }
}
