using NvEmbed.AppHost;
using NvEmbed.AppHost.Hosting;
using NvEmbed.Tests.Infrastructure;

namespace NvEmbed.Tests.AppHost;

public class ManifestTests
{
    [Fact]
    public void Render_Topology_EqualsCommittedManifest()
    {
        // Arrange: the same topology `dotnet run --project NvEmbed.AppHost -- --publisher manifest` writes.
        var builder = DistributedApplicationBuilder.Create([], new DistributedApplicationOptions());
        NvEmbedTopology.Add(builder);

        // Act
        var rendered = ManifestWriter.Render(builder, RepoPaths.Root);

        // Assert
        var committed = File.ReadAllText(Path.Combine(RepoPaths.Root, "aspire-manifest.json"));
        Assert.True(
            committed == rendered,
            "aspire-manifest.json is out of date: regenerate it with " +
            "`dotnet run --project NvEmbed.AppHost -- --publisher manifest --output-path aspire-manifest.json`.");
    }

    [Fact]
    public void Render_Topology_WiresServicesThroughAspireVariables()
    {
        var builder = DistributedApplicationBuilder.Create([], new DistributedApplicationOptions());
        NvEmbedTopology.Add(builder);

        using var manifest = System.Text.Json.JsonDocument.Parse(ManifestWriter.Render(builder, RepoPaths.Root));

        var resources = manifest.RootElement.GetProperty("resources");
        var apiEnv = resources.GetProperty("api").GetProperty("env");
        Assert.Equal("{tokenizer.bindings.grpc.url}", apiEnv.GetProperty("services__tokenizer__grpc__0").GetString());
        Assert.Equal("{inference.bindings.grpc.url}", apiEnv.GetProperty("services__inference__grpc__0").GetString());
        var gateway = resources.GetProperty("gateway");
        Assert.Equal("{api.bindings.http.url}", gateway.GetProperty("env").GetProperty("services__api__http__0").GetString());
        Assert.True(gateway.GetProperty("bindings").GetProperty("http").GetProperty("external").GetBoolean());
        Assert.Equal(8000, gateway.GetProperty("bindings").GetProperty("http").GetProperty("port").GetInt32());
        Assert.Equal("http2", resources.GetProperty("inference").GetProperty("bindings").GetProperty("grpc").GetProperty("transport").GetString());
        Assert.Equal("http2", resources.GetProperty("api").GetProperty("bindings").GetProperty("grpc").GetProperty("transport").GetString());
        Assert.Equal("Http2", apiEnv.GetProperty("Kestrel__Endpoints__grpc__Protocols").GetString());
        Assert.Equal("parameter.v0", resources.GetProperty("model-dir").GetProperty("type").GetString());
    }
}
