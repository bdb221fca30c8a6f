using System.Diagnostics;
using System.Text.Json;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.AppHost;

/// <summary>
/// The committed aspire-manifest.json is what Aspire's own manifest publisher writes for the AppHost, and it carries the
/// fixed public ports 8000/8001 without any test binding them (deploy/kubernetes is held to it by
/// <see cref="Deploy.KubernetesManifestTests"/>).
/// </summary>
public sealed class ManifestTests
{
    private static readonly Lazy<Task<string>> s_published = new(PublishAsync);

    [Fact]
    public async Task Publish_Topology_EqualsCommittedManifest()
    {
        // Act: the README's command, `dotnet run --project NvEmbed.AppHost -- --publisher manifest --output-path ...`.
        var published = await s_published.Value;

        // Assert
        var committed = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "aspire-manifest.json"));
        Assert.True(
            Normalize(committed) == Normalize(published),
            "aspire-manifest.json is out of date: regenerate it with " +
            "`dotnet run --project NvEmbed.AppHost -- --publisher manifest --output-path ../aspire-manifest.json`.");
    }

    [Fact]
    public async Task Publish_Topology_PublicPortsAndPerReplicaAddresses()
    {
        using var manifest = JsonDocument.Parse(await s_published.Value);

        var resources = manifest.RootElement.GetProperty("resources");
        var gateway = resources.GetProperty("gateway");
        var http = gateway.GetProperty("bindings").GetProperty("http");
        var grpc = gateway.GetProperty("bindings").GetProperty("grpc");
        Assert.Equal(8000, http.GetProperty("targetPort").GetInt32());
        Assert.True(http.GetProperty("external").GetBoolean());
        Assert.Equal(8001, grpc.GetProperty("targetPort").GetInt32());
        Assert.Equal("http2", grpc.GetProperty("transport").GetString());
        Assert.True(grpc.GetProperty("external").GetBoolean());
        var gatewayEnv = gateway.GetProperty("env");
        Assert.Equal("{api.bindings.http.url}", gatewayEnv.GetProperty("services__api__http__0").GetString());
        Assert.Equal("{api.bindings.grpc.url}", gatewayEnv.GetProperty("services__api__grpc__0").GetString());
        var apiEnv = resources.GetProperty("api").GetProperty("env");
        Assert.Equal("{tokenizer.bindings.grpc.url}", apiEnv.GetProperty("services__tokenizer__grpc__0").GetString());
        Assert.Equal("{inference.bindings.grpc.url}", apiEnv.GetProperty("services__inference__grpc__0").GetString());
        Assert.Equal("Http2", apiEnv.GetProperty("Kestrel__Endpoints__grpc__Protocols").GetString());
        Assert.Equal("parameter.v0", resources.GetProperty("model-dir").GetProperty("type").GetString());
        Assert.False(resources.TryGetProperty("model", out _), "the default-model resource runs locally only; a cluster mounts model-dir");
    }

    private static string Normalize(string json) => json.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    // Runs the publisher once for the class; the output lies next to the committed one, since project paths are relative to it.
    private static async Task<string> PublishAsync()
    {
        var output = Path.Combine(RepoPaths.Root, $"aspire-manifest.test-{Guid.NewGuid():N}.json");
        var info = AppHostCommand.StartInfo("--publisher", "manifest", "--output-path", output);
        try
        {
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
            Assert.True(process.ExitCode == 0 && File.Exists(output), $"the publisher failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
            return await File.ReadAllTextAsync(output);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
