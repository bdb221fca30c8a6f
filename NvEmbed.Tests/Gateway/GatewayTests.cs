using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using NvEmbed.Gateway;

namespace NvEmbed.Tests.Gateway;

public sealed class GatewayTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly List<WebApplication> _backends = [];

    [Fact]
    public async Task Post_TwoApiReplicas_SpreadsRequestsAndForwardsBody()
    {
        // Arrange
        var a = await StartBackendAsync("a");
        var b = await StartBackendAsync("b");
        await using var gateway = CreateGateway(("services:api:http:0", a), ("services:api:http:1", b));
        using var client = gateway.CreateClient();

        // Act
        var seen = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.PostAsync("/v1/embeddings", new StringContent($"body-{i}")).WaitAsync(s_timeout);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.EndsWith($":/v1/embeddings:body-{i}", text, StringComparison.Ordinal);
            seen.Add(text[..1]);
        }

        // Assert: both replicas served (power of two choices over 40 requests).
        Assert.Equal(["a", "b"], seen.Order());
    }

    [Theory]
    [InlineData("/v2/workspaces/default/inference/gateway/model/nvidia-embed/-/v1/embeddings")]
    [InlineData("/v2/workspaces/team-a/inference/gateway/provider/embed-deployment/-/v1/embeddings")]
    public async Task Post_NemoPlatformGatewayRoute_ForwardsTheOpenAiPath(string path)
    {
        // NeMo platform routes (nim-contract.md): by model entity or by deployment, then "/-/" and the API path.
        var a = await StartBackendAsync("a");
        await using var gateway = CreateGateway(("services:api:http:0", a));
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync(path, new StringContent("body")).WaitAsync(s_timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a:/v1/embeddings:body", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_BodyOverLimit_Returns413Json()
    {
        var a = await StartBackendAsync("a");
        await using var gateway = CreateGateway(("services:api:http:0", a), ("Gateway:MaxRequestBodyBytes", "100"));
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/v1/embeddings", new StringContent(new string('x', 101))).WaitAsync(s_timeout);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("exceeds the limit of 100 bytes", await ErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ApiKeyConfigured_RejectsWrongKeyAndAcceptsRightOne()
    {
        var a = await StartBackendAsync("a");
        await using var gateway = CreateGateway(("services:api:http:0", a), ("NVEMBED_API_KEY", "s3cret"));
        using var client = gateway.CreateClient();

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent("x") };
        wrong.Headers.Authorization = new("Bearer", "<no key provided>");
        using var right = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent("x") };
        right.Headers.Authorization = new("Bearer", "s3cret");
        using var wrongResponse = await client.SendAsync(wrong).WaitAsync(s_timeout);
        using var rightResponse = await client.SendAsync(right).WaitAsync(s_timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
    }

    [Fact]
    public async Task Post_NoKeyConfigured_AcceptsAnyAuthorization()
    {
        var a = await StartBackendAsync("a");
        await using var gateway = CreateGateway(("services:api:http:0", a));
        using var client = gateway.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent("x") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer <no key provided>");

        using var response = await client.SendAsync(request).WaitAsync(s_timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_ApiReplicaDown_Returns502or503Json()
    {
        // A destination nobody listens on.
        await using var gateway = CreateGateway(("services:api:http:0", "http://127.0.0.1:9"));
        using var client = gateway.CreateClient();

        using var response = await client.PostAsync("/v1/embeddings", new StringContent("x")).WaitAsync(s_timeout);

        Assert.True(
            response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable,
            $"status {(int)response.StatusCode}");
        Assert.False(string.IsNullOrEmpty(await ErrorMessageAsync(response)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }

    private static WebApplicationFactory<GatewayOptions> CreateGateway(params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<GatewayOptions>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }
        });

    private static async Task<string> ErrorMessageAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }

    // A real Kestrel server on a loopback port: answers "<name>:<path>:<body>".
    private async Task<string> StartBackendAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            return $"{name}:{context.Request.Path}:{await reader.ReadToEndAsync()}";
        });
        app.MapGet("/v1/health/live", () => "ok");
        await app.StartAsync().WaitAsync(s_timeout);
        _backends.Add(app);
        return app.Urls.First();
    }
}
