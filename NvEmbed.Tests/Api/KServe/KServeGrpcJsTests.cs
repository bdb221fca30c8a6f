using System.Text.Json;
using NvEmbed.Tests.Api.Fakes;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Api.KServe;

/// <summary>@grpc/grpc-js with the Api's own grpc_service.proto, sending what tritonclient sends (js/kserve/triton-client.js).</summary>
public sealed class KServeGrpcJsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("nvidia_llama_3_2_nv_embedqa_1b_v2")]
    [InlineData("nvidia_llama_nemotron_embed_1b_v2")]
    public async Task ModelInfer_FromGrpcJs_RawBytesTensorGetsTheModelsVectorsAndTokenCounts(string model)
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "12" }, kestrel: true);
        var address = host.GrpcAddress();
        string[] texts = ["what is a NIM?", "résumé 東京"];
        var protoRoot = Path.Combine(RepoPaths.Root, "NvEmbed.Api", "Protos");

        // Act
        var result = await NodeScript.RunAsync("kserve/triton-client.js",
            [$"{address.Host}:{address.Port}", protoRoot, model, "query", .. texts], standardInput: null, s_timeout);

        // Assert
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal(12, root.GetProperty("maxBatchSize").GetInt32());
        var embeddings = root.GetProperty("embeddings").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(texts.Length, embeddings.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("query: " + texts[i]), 0), embeddings[i]);
        }

        Assert.Equal([.. texts.Select(t => FakeModel.Tokenize("query: " + t).Length)],
            root.GetProperty("tokenCount").EnumerateArray().Select(v => v.GetInt32()));
        var missing = root.GetProperty("missingInputType");
        Assert.Equal(3, missing.GetProperty("code").GetInt32());
        Assert.Equal("'input_type' parameter is required for asymmetric models", missing.GetProperty("details").GetString());
    }
}
