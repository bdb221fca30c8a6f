using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using NvEmbed.Contracts.Clients;
using NvEmbed.Contracts.Tokenizer.V1;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Contracts;

/// <summary><see cref="TokenizerClient"/> against a tokenizer service on real Kestrel (<see cref="FakeTokenizerService"/>).</summary>
public class TokenizerClientTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EncodeAsync_TruncateEnd_FlatBatchWithErrorsAndBos()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var batch = await client.EncodeAsync(["ab", "", "hello"], TruncationMode.End, maxTokens: 4,
            addSpecialTokens: true, returnOffsets: false, null, CancellationToken.None).WaitAsync(s_timeout);

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
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var batch = await client.EncodeAsync(["abcdefgh", "ok"], TruncationMode.None, maxTokens: 5,
            addSpecialTokens: true, returnOffsets: false, null, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        var error = Assert.Single(batch.Errors);
        Assert.Equal(new TokenizeError(0, TokenizeErrorKind.TooLong, "input 0 has 9 tokens", 9, 5), error);
        Assert.Equal([1, 'o', 'k'], batch.Sequence(1).ToArray());
    }

    [Fact]
    public async Task EncodeAsync_TruncateStartWithOffsetsWithoutSpecialTokens_MapsEveryField()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var batch = await client.EncodeAsync(["wxyz"], TruncationMode.Start, maxTokens: 2,
            addSpecialTokens: false, returnOffsets: true, null, CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(['y', 'z'], batch.Sequence(0).ToArray());
        Assert.Equal([2, 3, 3, 4], batch.Offsets);
        Assert.Empty(batch.Errors);
    }

    [Fact]
    public async Task DecodeAndGetInfo_FakeTokenizer_MapsEveryField()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var text = await client.DecodeAsync([1, 'h', 'i'], skipSpecialTokens: true, null, CancellationToken.None).WaitAsync(s_timeout);
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
        await using var server = await GrpcTestServer.StartAsync(new BrokenTokenizer());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => client.EncodeAsync(["x"], TruncationMode.End, 0, true, false,
            null, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains("cu_seq_lengths", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IsServingAsync_HealthStatuses_TrueOnlyWhenServing()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        using var clients = TestClients.Tokenizer([server.Address]);
        var client = clients.Client;

        // Act
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        server.Readiness.Serving = false;
        var notServing = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);

        // Assert
        Assert.True(serving);
        Assert.False(notServing);
    }

    [Fact]
    public async Task Calls_NothingListening_IsServingFalseAndEncodeUnavailable()
    {
        // Arrange
        using var clients = TestClients.Tokenizer([new Uri($"http://127.0.0.1:{FreePort.Next()}")]);
        var client = clients.Client;

        // Act
        var serving = await client.IsServingAsync(CancellationToken.None).WaitAsync(s_timeout);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.EncodeAsync(["x"], TruncationMode.End, 0, true, false,
            null, CancellationToken.None).WaitAsync(s_timeout));

        // Assert
        Assert.False(serving);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }

    [Fact]
    public async Task EncodeAsync_FirstReplicaRefusesConnections_ServedByTheSecond()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync(new FakeTokenizerService());
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        using var clients = TestClients.Tokenizer([dead, server.Address]);
        var client = clients.Client;

        // Act
        var batches = new List<TokenizedBatch>();
        for (var i = 0; i < 4; i++)
        {
            batches.Add(await client.EncodeAsync(["a"], TruncationMode.End, 0, false, false, null, CancellationToken.None).WaitAsync(s_timeout));
        }

        // Assert
        Assert.All(batches, batch => Assert.Equal(['a'], batch.Sequence(0).ToArray()));
        Assert.Equal([dead, server.Address], client.Addresses);
    }

    [Fact]
    public async Task EncodeAsync_ReplicaShutsDownWithCallsInFlight_CallsRetriedOnTheOther()
    {
        // Arrange: replica A holds its calls, then shuts down the way a process does on SIGTERM (GOAWAY, then its
        // streams are closed once the shutdown timeout passes). The fault runs saw the Api answer 500 here.
        var goingAway = new FakeTokenizerService();
        var staying = new FakeTokenizerService();
        var serverA = await GrpcTestServer.StartAsync(goingAway);
        await using var serverB = await GrpcTestServer.StartAsync(staying);
        using var clients = TestClients.Tokenizer([serverA.Address, serverB.Address]);
        var client = clients.Client;
        goingAway.Hold();

        // Act
        var calls = Enumerable.Range(0, 6)
            .Select(i => client.EncodeAsync([$"t{i}"], TruncationMode.End, 0, false, false, DateTime.UtcNow.AddSeconds(30), CancellationToken.None))
            .ToArray();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (goingAway.Calls == 0 && watch.Elapsed < s_timeout)
        {
            await Task.Delay(10);
        }

        await serverA.DisposeAsync();
        var batches = await Task.WhenAll(calls).WaitAsync(s_timeout);
        var after = await client.EncodeAsync(["z"], TruncationMode.End, 0, false, false, null, CancellationToken.None).WaitAsync(s_timeout);

        // Assert: every call answered (by B), none failed.
        Assert.True(goingAway.Calls > 0);
        for (var i = 0; i < batches.Length; i++)
        {
            Assert.Equal($"t{i}".Select(c => (int)c), batches[i].Sequence(0).ToArray());
        }

        Assert.Equal(['z'], after.Sequence(0).ToArray());
    }

    /// <summary>A tokenizer whose cu_seq_lengths do not cover its ids.</summary>
    private sealed class BrokenTokenizer : NvEmbed.Contracts.Tokenizer.V1.Tokenizer.TokenizerBase, IGrpcTestService
    {
        public void Register(IServiceCollection services) => services.AddSingleton(this);

        public void Map(IEndpointRouteBuilder endpoints) => endpoints.MapGrpcService<BrokenTokenizer>();

        public override Task<EncodeResponse> Encode(EncodeRequest request, ServerCallContext context) =>
            Task.FromResult(new EncodeResponse { InputIds = { 1, 2, 3 }, CuSeqLengths = { 0, 2 } });
    }
}
