using System.Security.Cryptography;
using Grpc.Core;
using Grpc.Health.V1;
using NvEmbed.Contracts.ModelRepository;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Grpc;
using NvEmbed.Tokenizer.Tokenization;

using NvEmbed.Tests.Contracts;

namespace NvEmbed.Tests.Tokenizer;

public class TokenizerGrpcServiceTests
{
    private const string Service = TokenizerGrpcService.ServiceName;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<HfTokenizer> s_engine = new(() => HfTokenizer.Load(RepoPaths.Llama3TokenizerJson));

    private static int[] EngineIds(string text, EncodeSettings settings)
    {
        var buffer = new TokenBuffer();
        s_engine.Value.Encode(text, buffer, settings);
        return buffer.Ids.ToArray();
    }

    private static Task<EncodeResponse> EncodeAsync(TokenizerTestServer server, EncodeRequest request) =>
        server.Client.EncodeAsync(request).ResponseAsync.WaitAsync(s_timeout);

    private const string LongText = "All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.";

    [Fact]
    public async Task Encode_BatchWithEndTruncation_ReturnsFlatIdsInInputOrder()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings { MaxTokens = 8192 });
        var request = new EncodeRequest { Truncation = Truncation.End, MaxTokens = 16, ReturnOffsets = true };
        request.Texts.Add(["hello world", LongText, "query: defendant moves for summary judgment under Rule 56"]);

        // Act
        var response = await EncodeAsync(server, request);

        // Assert
        var settings = new EncodeSettings(true, 16, NvEmbed.Contracts.Clients.TruncationMode.End, false);
        int[][] expected = [.. request.Texts.Select(t => EngineIds(t, settings))];
        Assert.Equal([0u, (uint)expected[0].Length, (uint)(expected[0].Length + 16), (uint)(expected[0].Length + 16 + 12)], response.CuSeqLengths);
        Assert.Equal(expected.SelectMany(e => e), response.InputIds);
        Assert.Equal(response.InputIds.Count * 2, response.Offsets.Count);
        Assert.Empty(response.Errors);
        Assert.Empty(server.LoggedErrors);
    }

    [Fact]
    public async Task Encode_TooLongWithTruncationNone_ReportsNimMessageAndKeepsTheOthers()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings { MaxTokens = 8192 });
        var request = new EncodeRequest { Truncation = Truncation.None, MaxTokens = 10 };
        request.Texts.Add([LongText, "short"]);
        var fullCount = EngineIds(LongText, EncodeSettings.Default).Length;

        // Act
        var response = await EncodeAsync(server, request);

        // Assert
        var error = Assert.Single(response.Errors);
        Assert.Equal(0u, error.Index);
        Assert.Equal(InputErrorKind.TooLong, error.Kind);
        Assert.Equal((uint)fullCount, error.TokenCount);
        Assert.Equal(10u, error.MaxTokens);
        Assert.Equal($"Input length {fullCount} exceeds maximum allowed token size 10", error.Message);
        Assert.Equal(0u, response.CuSeqLengths[1]);
        Assert.Equal(EngineIds("short", EncodeSettings.Default), response.InputIds);
    }

    [Fact]
    public async Task Encode_MaxTokensZero_UsesTheModelDirectoryLimit()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings { MaxTokens = 7 });
        var request = new EncodeRequest { Truncation = Truncation.Start, MaxTokens = 0 };
        request.Texts.Add(LongText);

        // Act
        var response = await EncodeAsync(server, request);

        // Assert
        var full = EngineIds(LongText, EncodeSettings.Default);
        Assert.Equal([128000, .. full[^6..]], response.InputIds);
    }

    [Fact]
    public async Task Encode_EmptyAndOversizedInputs_ReportPerInputErrors()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?> { ["Tokenizer:MaxInputChars"] = "100" });
        var request = new EncodeRequest { Truncation = Truncation.End };
        request.Texts.Add(["", new string('x', 101), "ok"]);

        // Act
        var response = await EncodeAsync(server, request);

        // Assert
        Assert.Equal([InputErrorKind.Empty, InputErrorKind.TooLarge], response.Errors.Select(e => e.Kind));
        Assert.Equal([0u, 1u], response.Errors.Select(e => e.Index));
        Assert.Equal([0u, 0u, 0u, (uint)response.InputIds.Count], response.CuSeqLengths);
        Assert.Equal(EngineIds("ok", EncodeSettings.Default), response.InputIds);
    }

    [Fact]
    public async Task Encode_TextTheTokenizerRefuses_FailsWithInvalidArgumentNamingTheInput()
    {
        // Arrange: a Unigram model without an unknown token (Hugging Face refuses "abc" too); the service stays up.
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-unigram-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{\"added_tokens\":[],\"model\":{\"type\":\"Unigram\",\"unk_id\":null,\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}}");
        try
        {
            await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?> { ["NVEMBED_TOKENIZER_JSON"] = path });
            var refused = new EncodeRequest();
            refused.Texts.Add(["ab", "abc"]);
            var fine = new EncodeRequest();
            fine.Texts.Add(["ab"]);

            // Act
            var error = await Assert.ThrowsAsync<RpcException>(() => EncodeAsync(server, refused));
            var response = await EncodeAsync(server, fine);

            // Assert
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains("Input 1", error.Message, StringComparison.Ordinal);
            Assert.Contains("unk_id", error.Message, StringComparison.Ordinal);
            Assert.Equal([0, 1], response.InputIds);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Encode_MoreWorkThanTheQueueHolds_FailsWithResourceExhausted()
    {
        // Arrange: one-text chunks and room for two: a three-text request cannot be admitted.
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings(), new Dictionary<string, string?>
        {
            ["Tokenizer:Workers"] = "1",
            ["Tokenizer:QueueCapacity"] = "2",
            ["Tokenizer:ChunkSize"] = "1",
        });
        var request = new EncodeRequest();
        request.Texts.Add(["a", "b", "c"]);
        var small = new EncodeRequest();
        small.Texts.Add(["a", "b"]);

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => EncodeAsync(server, request));
        var admitted = await EncodeAsync(server, small);

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(3, admitted.CuSeqLengths.Count);
    }

    [Fact]
    public async Task Decode_Ids_ReturnsTheText()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings());
        var request = new DecodeRequest { SkipSpecialTokens = true };
        request.Ids.Add(EngineIds("Grüße, 世界 👋", EncodeSettings.Default));

        // Act
        var response = await server.Client.DecodeAsync(request).ResponseAsync.WaitAsync(s_timeout);

        // Assert
        Assert.Equal("Grüße, 世界 👋", response.Text);
    }

    [Fact]
    public async Task ModelInfo_Llama3ModelDirectory_ReportsFingerprintsVocabularyAndSpecials()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings { ServedModelName = "nvidia/llama-3.2-nv-embedqa-1b-v2", MaxTokens = 8192 });

        // Act
        var info = await server.Client.ModelInfoAsync(new ModelInfoRequest()).ResponseAsync.WaitAsync(s_timeout);

        // Assert
        Assert.Equal(ModelFingerprint.Compute(server.ModelDir), info.ModelFingerprint);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(RepoPaths.Llama3TokenizerJson))), info.TokenizerFingerprint);
        Assert.Equal(128256u, info.VocabSize);
        Assert.Equal(8192u, info.MaxTokens);
        Assert.Equal("BPE", info.ModelType);
        Assert.Equal("nvidia/llama-3.2-nv-embedqa-1b-v2", info.ServedModelName);
        Assert.Contains(info.SpecialTokens, t => t.Content == "<|begin_of_text|>" && t.Id == 128000);
        Assert.Equal(256, info.SpecialTokens.Count);
    }

    [Fact]
    public async Task HealthCheck_AfterStart_IsServing()
    {
        // Arrange
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings());

        // Act
        var whole = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(s_timeout);
        var tokenizer = await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest { Service = Service }).ResponseAsync.WaitAsync(s_timeout);

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, whole.Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, tokenizer.Status);
    }

    [Fact]
    public async Task TokenizerClient_AgainstTheService_EncodesDecodesAndDescribes()
    {
        // Arrange: the typed client the Api uses, over the real service.
        await using var server = await TokenizerTestServer.StartAsync(new ModelServingSettings { MaxTokens = 8192 });
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;
        using var cts = new CancellationTokenSource(s_timeout);
        const string query = "query: defendant moves for summary judgment under Rule 56";

        // Act
        var batch = await client.EncodeAsync([query, LongText], NvEmbed.Contracts.Clients.TruncationMode.None, 20, addSpecialTokens: true, returnOffsets: false, null, cts.Token);
        var text = await client.DecodeAsync(batch.Sequence(0).ToArray(), skipSpecialTokens: true, null, cts.Token);
        var info = await client.GetInfoAsync(cts.Token);
        var serving = await client.IsServingAsync(cts.Token);

        // Assert
        Assert.Equal(12, batch.Sequence(0).Length);
        Assert.Equal(0, batch.Sequence(1).Length);
        var error = Assert.Single(batch.Errors);
        Assert.Equal(NvEmbed.Contracts.Clients.TokenizeErrorKind.TooLong, error.Kind);
        Assert.Equal($"Input length {EngineIds(LongText, EncodeSettings.Default).Length} exceeds maximum allowed token size 20", error.Message);
        Assert.Equal(query, text);
        Assert.Equal(128256, info.VocabSize);
        Assert.True(serving);
    }

    [Fact]
    public void Load_MalformedTokenizerJson_FailsStartupWithPath()
    {
        // Arrange
        var dir = Directory.CreateTempSubdirectory("nvembed-bad-model-").FullName;
        var path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, "{\"model\": 42}");
        try
        {
            // Act
            var error = Assert.Throws<InvalidOperationException>(() => LoadedTokenizer.Load(new TokenizerServiceOptions { ModelDir = dir }));

            // Assert
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
