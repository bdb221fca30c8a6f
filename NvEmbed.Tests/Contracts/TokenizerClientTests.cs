using System.Net;
using System.Net.Sockets;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Grpc;
using NvEmbed.Contracts.Health.V1;
using NvEmbed.Contracts.Tokenizer.V1;

namespace NvEmbed.Tests.Contracts;

/// <summary><see cref="TokenizerClient"/> against a tokenizer service on real Kestrel (<see cref="FakeTokenizerService"/>).</summary>
public class TokenizerClientTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EncodeAsync_TruncateEnd_FlatBatchWithErrorsAndBos()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        using var client = new TokenizerClient(server.Address);

        // Act
        var batch = await client.EncodeAsync(["ab", "", "hello"], TruncationMode.End, maxTokens: 4,
            addSpecialTokens: true, returnOffsets: false, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(3, batch.Count);
        Assert.Equal([1, 'a', 'b'], batch.Sequence(0).ToArray());
        Assert.True(batch.Sequence(1).IsEmpty);
        Assert.Equal([1, 'h', 'e', 'l'], batch.Sequence(2).ToArray());
        var error = Assert.Single(batch.Errors);
        Assert.Equal((1, TokenizeErrorKind.Empty), (error.Index, error.Kind));
        Assert.Empty(batch.Offsets);
    }

    [Fact]
    public async Task EncodeAsync_TruncateNoneTooLong_TooLongErrorWithCounts()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        using var client = new TokenizerClient(server.Address);

        // Act
        var batch = await client.EncodeAsync(["abcdefgh", "ok"], TruncationMode.None, maxTokens: 5,
            addSpecialTokens: true, returnOffsets: false, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        var error = Assert.Single(batch.Errors);
        Assert.Equal(new TokenizeError(0, TokenizeErrorKind.TooLong, "input 0 has 9 tokens", 9, 5), error);
        Assert.Equal([1, 'o', 'k'], batch.Sequence(1).ToArray());
    }

    [Fact]
    public async Task EncodeAsync_TruncateStartWithOffsetsWithoutSpecialTokens_MapsEveryField()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        using var client = new TokenizerClient(server.Address);

        // Act
        var batch = await client.EncodeAsync(["wxyz"], TruncationMode.Start, maxTokens: 2,
            addSpecialTokens: false, returnOffsets: true, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(['y', 'z'], batch.Sequence(0).ToArray());
        Assert.Equal([2, 3, 3, 4], batch.Offsets);
        Assert.Empty(batch.Errors);
    }

    [Fact]
    public async Task DecodeAndGetInfo_FakeTokenizer_MapsEveryField()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        using var client = new TokenizerClient(server.Address);

        // Act
        var text = await client.DecodeAsync([1, 'h', 'i'], skipSpecialTokens: true, CancellationToken.None).WaitAsync(s_timeout);
        var info = await client.GetInfoAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal("hi", text);
        Assert.Equal(("model-fp", "tokenizer-fp", 65536, 16, "BPE", "fake/model"),
            (info.ModelFingerprint, info.TokenizerFingerprint, info.VocabSize, info.MaxTokens, info.ModelType, info.ServedModelName));
        Assert.Equal(1, info.SpecialTokens["<bos>"]);
    }

    [Fact]
    public async Task EncodeAsync_ServerAnswersInconsistentOffsets_InternalError()
    {
        // Arrange: a broken tokenizer whose cu_seq_lengths do not cover its ids.
        await using var server = await GrpcTestServer.StartAsync(map: app =>
            app.MapGrpcUnary<EncodeRequest, EncodeResponse>(TokenizerClient.ServiceName, "Encode", (_, _) =>
                Task.FromResult(new EncodeResponse { InputIds = { 1, 2, 3 }, CuSeqLengths = { 0, 2 } })));
        using var client = new TokenizerClient(server.Address);

        // Act
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => client.EncodeAsync(["x"], TruncationMode.End, 0, true, false,
            CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(GrpcStatusCode.Internal, error.Status);
        Assert.Contains("cu_seq_lengths", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IsServingAsync_HealthStatuses_TrueOnlyWhenServing()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        using var client = new TokenizerClient(server.Address);

        // Act
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        server.Health.SetStatus("", HealthCheckResponse.Types.ServingStatus.NotServing);
        var notServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.True(serving);
        Assert.False(notServing);
    }

    [Fact]
    public async Task Calls_NothingListening_IsServingFalseAndEncodeUnavailable()
    {
        // Arrange
        using var client = new TokenizerClient(new Uri($"http://127.0.0.1:{FreePort()}"));

        // Act
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        var error = await Assert.ThrowsAsync<GrpcCallException>(() => client.EncodeAsync(["x"], TruncationMode.End, 0, true, false,
            CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.False(serving);
        Assert.Equal(GrpcStatusCode.Unavailable, error.Status);
    }

    [Fact]
    public async Task EncodeAsync_FirstReplicaRefusesConnections_ServedByTheSecond()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(map: FakeTokenizerService.Map);
        var dead = new Uri($"http://127.0.0.1:{FreePort()}");
        using var client = new TokenizerClient([dead, server.Address]);

        // Act
        var batches = new List<TokenizedBatch>();
        for (var i = 0; i < 4; i++)
        {
            batches.Add(await client.EncodeAsync(["a"], TruncationMode.End, 0, false, false, CancellationToken.None).WaitAsync(s_timeout));
        }

        // Assert
        Assert.All(batches, batch => Assert.Equal(['a'], batch.Sequence(0).ToArray()));
        Assert.Equal([dead, server.Address], client.Addresses);
    }

    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
