using System.Net;
using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NvEmbed.Contracts.Clients;
using NvEmbed.Tests.Api.Fakes;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.Api;

/// <summary>The Api wired to its backends by service addresses, over gRPC (grpc-dotnet on both sides).</summary>
public sealed class GrpcBackendTests
{
    private static Dictionary<string, string?> Wiring(params Uri[] workers)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < workers.Length; i++)
        {
            settings[$"services:inference:grpc:{i}"] = workers[i].ToString();
        }

        settings["services:tokenizer:grpc:0"] = workers[0].ToString();
        return settings;
    }

    [Fact]
    public async Task Embed_OverGrpc_MatchesTheFakeModelAndIsReady()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        await using var host = new ApiTestHost(Wiring(backends.Address), fakeBackends: false);
        using var client = host.Client();
        string[] texts = ["over", "the wire ✓"];

        // Act
        var ready = await ApiCall.GetAsync(client, "/v1/health/ready");
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", JsonSerializer.Serialize(new { input = texts, input_type = "query", dimensions = 8, encoding_format = "base64" }));
        var tokens = await ApiCall.PostAsync(client, "/tokenize", """{"inputs":"ab"}""");
        var decoded = await ApiCall.PostAsync(client, "/decode", JsonSerializer.Serialize(new { ids = FakeModel.Tokenize("ab") }));

        // Assert
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(HttpStatusCode.OK, call.Status);
        var vectors = call.Vectors();
        for (var i = 0; i < texts.Length; i++)
        {
            VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("query: " + texts[i]), 8), vectors[i]);
        }

        Assert.Equal(3, tokens.Json[0].GetArrayLength());
        Assert.Equal("ab", decoded.Json.GetString());
    }

    [Fact]
    public async Task Embed_TooLongOverGrpc_AnswersLengthAndLimit()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        backends.Tokenizer.MaxTokens = 10;
        await using var host = new ApiTestHost(Wiring(backends.Address), fakeBackends: false);
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"0123456789","input_type":"passage"}""");

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, call.Status);
        Assert.Equal($"Input length {FakeModel.Tokenize("passage: 0123456789").Length} exceeds maximum allowed token size 10", call.Json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Embed_WorkerOverloadedOverGrpc_Is429()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        backends.Worker.FailWith = StatusCode.ResourceExhausted;
        await using var host = new ApiTestHost(Wiring(backends.Address), fakeBackends: false);
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"x","input_type":"query"}""");

        // Assert
        Assert.Equal(HttpStatusCode.TooManyRequests, call.Status);
        Assert.True(call.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Embed_TwoWorkersOneGone_ServesFromTheOther()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        var dead = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        await using var host = new ApiTestHost(Wiring(backends.Address, dead), fakeBackends: false);
        using var client = host.Client();

        // Act
        var calls = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            calls.Add((await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"x","input_type":"query"}""")).Status);
        }

        // Assert
        Assert.All(calls, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(4, backends.Worker.Calls.Count);
    }

    [Fact]
    public async Task Ready_BackendNotServing_Is503()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        backends.Readiness.Serving = false;
        // NOTE: ASP.NET Core's health check service logs an Unhealthy result at Error level; that is the only Error allowed.
        await using var host = new ApiTestHost(Wiring(backends.Address), fakeBackends: false) { FailOnErrorLogs = false };
        using var client = host.Client();

        // Act
        var call = await ApiCall.GetAsync(client, "/v1/health/ready");
        var aspire = await ApiCall.GetAsync(client, "/health/ready");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, aspire.Status);
        Assert.All(host.Logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error),
            e => Assert.Equal("Microsoft.Extensions.Diagnostics.HealthChecks.DefaultHealthCheckService", e.Category));
    }

    [Fact]
    public async Task Embed_RequestTimeout_IsTheDeadlineTheBackendsSee()
    {
        // Arrange
        await using var backends = await FakeGrpcBackends.StartAsync();
        var settings = Wiring(backends.Address);
        settings["NIM_SERVER_REQUEST_TIMEOUT_S"] = "33";
        await using var host = new ApiTestHost(settings, fakeBackends: false);
        using var client = host.Client();
        var sent = DateTime.UtcNow;

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"x","input_type":"query"}""");

        // Assert: the worker saw, over gRPC (grpc-timeout), the deadline of the HTTP request: 33 s from its start.
        Assert.Equal(HttpStatusCode.OK, call.Status);
        Assert.True(backends.Worker.Deadlines.TryPeek(out var deadline));
        Assert.InRange(deadline!.Value, sent.AddSeconds(32), DateTime.UtcNow.AddSeconds(33.5));
    }

    [Fact]
    public void ClientOptions_ApiTimeoutsAndServiceClientsSection_BoundPerService()
    {
        // Arrange
        using var host = new ApiTestHost(new Dictionary<string, string?>
        {
            ["NIM_SERVER_REQUEST_TIMEOUT_S"] = "45",
            ["ServiceClients:inference:AttemptTimeout"] = "00:00:07",
        });

        // Act
        var options = host.Services.GetRequiredService<IOptionsMonitor<ServiceClientOptions>>();
        var (inference, tokenizer) = (options.Get(InferenceClient.Name), options.Get(TokenizerClient.Name));

        // Assert
        Assert.Equal((TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(7)), (inference.CallTimeout, inference.AttemptTimeout));
        Assert.Equal((TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(2)), (tokenizer.CallTimeout, tokenizer.AttemptTimeout));
    }

    [Fact]
    public async Task Embed_NoBackendAddresses_Is503NamingTheVariable()
    {
        // Arrange
        await using var host = new ApiTestHost(fakeBackends: false);
        using var client = host.Client();

        // Act
        var call = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":"x","input_type":"query"}""");
        var ready = await ApiCall.GetAsync(client, "/v1/health/ready");

        // Assert
        Assert.Equal(HttpStatusCode.ServiceUnavailable, call.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
        Assert.Contains("services__", host.Logs.Entries.Select(e => e.Message).FirstOrDefault(m => m.Contains("services__")) ?? "");
    }
}
