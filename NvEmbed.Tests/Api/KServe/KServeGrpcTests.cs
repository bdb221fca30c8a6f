using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using NvEmbed.Api.KServe;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Api.Options;
using NvEmbed.Tests.Api.Fakes;

namespace NvEmbed.Tests.Api.KServe;

/// <summary>The KServe v2 (Triton) gRPC surface on the Api's grpc endpoint, called over a real socket with grpc-dotnet's generated client.</summary>
public sealed class KServeGrpcTests
{
    private const string ServedName = "nvidia/llama-3.2-nv-embedqa-1b-v2";
    private const string TritonName = "nvidia_llama_3_2_nv_embedqa_1b_v2";

    private static DateTime Deadline => DateTime.UtcNow.Add(ApiTestHost.Timeout);

    private static ModelInferRequest InferRequest(string[] texts, bool raw, string? inputType, int? dimensions = null, string model = TritonName)
    {
        var request = new ModelInferRequest { ModelName = model, Id = "req-1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "text", Datatype = "BYTES", Shape = { texts.Length, 1 } };
        if (raw)
        {
            request.RawInputContents.Add(TritonTensors.EncodeStrings(texts));
        }
        else
        {
            input.Contents = new InferTensorContents();
            input.Contents.BytesContents.Add(texts.Select(ByteString.CopyFromUtf8));
        }

        request.Inputs.Add(input);
        if (inputType is not null)
        {
            request.Parameters["input_type"] = new InferParameter { StringParam = inputType };
        }

        if (dimensions is not null)
        {
            request.Parameters["dimensions"] = new InferParameter { Int64Param = dimensions.Value };
        }

        return request;
    }

    private static float[][] ReadEmbeddings(ModelInferResponse response)
    {
        var index = response.Outputs.ToList().FindIndex(o => o.Name == "embeddings");
        var output = response.Outputs[index];
        Assert.Equal("FP32", output.Datatype);
        var (rows, columns) = ((int)output.Shape[0], (int)output.Shape[1]);
        var bytes = response.RawOutputContents[index].Span;
        Assert.Equal(rows * columns * sizeof(float), bytes.Length);
        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            result[r] = new float[columns];
            for (var c = 0; c < columns; c++)
            {
                result[r][c] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(((r * columns) + c) * sizeof(float))..]);
            }
        }

        return result;
    }

    private static int[] ReadTokenCounts(ModelInferResponse response)
    {
        var index = response.Outputs.ToList().FindIndex(o => o.Name == "token_count");
        var output = response.Outputs[index];
        Assert.Equal("INT32", output.Datatype);
        var bytes = response.RawOutputContents[index].ToByteArray();
        Assert.Equal(output.Shape[0] * sizeof(int), bytes.Length);
        return [.. Enumerable.Range(0, (int)output.Shape[0]).Select(i => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * sizeof(int))))];
    }

    [Theory]
    [InlineData(true, "passage", null)]
    [InlineData(false, "query", null)]
    [InlineData(true, "query", 8)]
    public async Task ModelInfer_Texts_MatchTheHttpEmbeddingsAndUsage(bool raw, string inputType, int? dimensions)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var http = host.Client();
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        string[] texts = ["zeta", "a much longer passage text", "b"];
        var body = dimensions is null
            ? JsonSerializer.Serialize(new { model = ServedName, input = texts, input_type = inputType })
            : JsonSerializer.Serialize(new { model = ServedName, input = texts, input_type = inputType, dimensions });

        // Act
        var httpCall = await ApiCall.PostAsync(http, "/v1/embeddings", body).WaitAsync(ApiTestHost.Timeout);
        var response = await client.ModelInferAsync(InferRequest(texts, raw, inputType, dimensions), deadline: Deadline).ResponseAsync;

        // Assert
        Assert.Equal(HttpStatusCode.OK, httpCall.Status);
        Assert.Equal(TritonName, response.ModelName);
        Assert.Equal("req-1", response.Id);
        var grpcVectors = ReadEmbeddings(response);
        var httpVectors = httpCall.Vectors();
        Assert.Equal(texts.Length, grpcVectors.Length);
        Assert.Equal(dimensions ?? FakeModel.FullDimensions, grpcVectors[0].Length);
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(httpVectors[i], grpcVectors[i]);
            VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize(inputType + ": " + texts[i]), dimensions ?? 0), grpcVectors[i]);
        }

        var counts = ReadTokenCounts(response);
        Assert.Equal([.. texts.Select(t => FakeModel.Tokenize(inputType + ": " + t).Length)], counts);
        Assert.Equal(httpCall.Json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), counts.Sum());
    }

    [Fact]
    public async Task ModelInfer_MissingInputType_InvalidArgumentWithTheContractMessage()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelInferAsync(InferRequest(["hello"], raw: true, inputType: null), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("'input_type' parameter is required for asymmetric models", error.Status.Detail);
        Assert.Empty(host.Tokenizer.EncodeCalls);
    }

    [Fact]
    public async Task ModelInfer_UnknownModel_NotFound()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelInferAsync(InferRequest(["hello"], raw: true, "query", model: "some_other_model"), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("some_other_model", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 5, 0, 0, 0, (byte)'a' })]
    [InlineData(new byte[] { 1, 0 })]
    public async Task ModelInfer_MalformedRawStrings_InvalidArgument(byte[] raw)
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = InferRequest(["x"], raw: true, "query");
        request.RawInputContents[0] = ByteString.CopyFrom(raw);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelInferAsync(request, deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task ModelInfer_TooManyInputs_InvalidArgumentNamingTheLimit()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "2" }, kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelInferAsync(InferRequest(["a", "b", "c"], raw: true, "query"), deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("maximum allowed batch size 2", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerLiveAndReady_HealthyBackends_True()
    {
        // Arrange
        await using var host = new ApiTestHost(kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // Act
        var live = await client.ServerLiveAsync(new ServerLiveRequest(), deadline: Deadline).ResponseAsync;
        var ready = await client.ServerReadyAsync(new ServerReadyRequest(), deadline: Deadline).ResponseAsync;
        var modelReady = await client.ModelReadyAsync(new ModelReadyRequest { Name = TritonName }, deadline: Deadline).ResponseAsync;
        var otherReady = await client.ModelReadyAsync(new ModelReadyRequest { Name = "other" }, deadline: Deadline).ResponseAsync;

        // Assert
        Assert.True(live.Live);
        Assert.True(ready.Ready);
        Assert.True(modelReady.Ready);
        Assert.False(otherReady.Ready);
    }

    [Fact]
    public async Task ModelMetadataAndConfig_ServedModel_DescribeTensorsAndBatchLimit()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_TRITON_MAX_BATCH_SIZE"] = "7" }, kestrel: true);
        using var channel = GrpcChannel.ForAddress(host.GrpcAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // Act
        var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = TritonName }, deadline: Deadline).ResponseAsync;
        var config = await client.ModelConfigAsync(new ModelConfigRequest { Name = TritonName }, deadline: Deadline).ResponseAsync;
        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            client.ModelConfigAsync(new ModelConfigRequest { Name = "nope" }, deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(TritonName, metadata.Name);
        var input = Assert.Single(metadata.Inputs);
        Assert.Equal(("text", "BYTES"), (input.Name, input.Datatype));
        Assert.Equal(["embeddings", "token_count"], metadata.Outputs.Select(o => o.Name));
        Assert.Equal(["FP32", "INT32"], metadata.Outputs.Select(o => o.Datatype));
        Assert.Equal(TritonName, config.Config.Name);
        Assert.Equal(7, config.Config.MaxBatchSize);
        Assert.Equal("text", Assert.Single(config.Config.Input).Name);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Theory]
    [InlineData("nvidia/llama-3.2-nv-embedqa-1b-v2", "nvidia_llama_3_2_nv_embedqa_1b_v2")]
    [InlineData("Org/Model.V2", "Org_Model_V2")]
    public void GrpcForm_ServedId_UnderscoresAndCaseKept(string served, string expected)
    {
        // Act
        var name = ServedModelNames.GrpcForm(served);

        // Assert
        Assert.Equal(expected, name);
    }
}
