using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.Versioning;
using System.Text.Json;
using Grpc.Net.Client;
using NvEmbed.Api.KServe.V2;
using NvEmbed.Tests.Api.KServe;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tests.Integration;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Deploy;

/// <summary>
/// The deployment as a user runs it: deploy/containers/build-images.sh builds the four images (on the cached Debian base,
/// built first if missing), podman-compose brings up deploy/compose's nv-ingest drop-in on free host ports (moved with
/// nv-ingest's EMBEDDING_*_PORT variables) serving a copy of the AppHost fixture's model directory, and its answers over
/// HTTP and KServe gRPC must equal the non-container stack's for the same texts. Then `down`, and nothing of the test's
/// may be left: containers, their conmon processes, the network, the images it tagged.
/// </summary>
[Collection(AppHostCollection.Name)]
[Trait("Category", "Containers")]
[SupportedOSPlatform("linux")]
public sealed class ComposeStackTests(AppHostFixture topology, ITestOutputHelper output)
{
    private static readonly TimeSpan s_readyTimeout = TimeSpan.FromMinutes(5);
    private static readonly string[] s_texts = ["defendant moves for summary judgment under Rule 56", "a second, longer passage of text", "三"];

    [Fact]
    public async Task ComposeDropIn_EmbedsOverHttpAndGrpc_AsTheNonContainerStackAndLeavesNothingBehind()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var project = $"nvembed-test-{id}";
        var tag = $"test-{id}";
        var root = Path.Combine(Path.GetTempPath(), project);
        var (httpPort, grpcPort, metricsPort) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        var environment = new Dictionary<string, string>
        {
            ["NVEMBED_TAG"] = tag,
            ["LOCAL_NIM_CACHE"] = Path.Combine(root, "cache"),
            ["NVEMBED_MODEL"] = "model",
            ["EMBEDDING_HTTP_PORT"] = $"{httpPort}",
            ["EMBEDDING_GRPC_PORT"] = $"{grpcPort}",
            ["EMBEDDING_METRICS_PORT"] = $"{metricsPort}",
            ["NGC_API_KEY"] = "nvapi-not-used",
        };
        string[] compose = ["-p", project, "-f", "deploy/compose/standalone.yaml", "-f", "deploy/compose/nvembed.yaml"];
        var containerIds = new List<string>();
        var clock = Stopwatch.StartNew();
        try
        {
            // Arrange: the images, and the fixture's model (with its built graph) in a cache folder the containers' user
            // (uid 1654) may write to, as LOCAL_NIM_CACHE must be.
            var build = await ContainerCommand.RunAsync(Path.Combine(RepoPaths.Root, "deploy", "containers", "build-images.sh"), ["--tag", tag], null, TimeSpan.FromMinutes(10));
            Assert.True(build.ExitCode == 0, $"build-images.sh: {build}");
            output.WriteLine($"images built in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", build.Lines)}");
            CopyWritable(topology.ModelDir, Path.Combine(root, "cache", "model"));

            // Act: up, then poll readiness (podman runs no scheduled healthchecks without systemd).
            var upStarted = clock.Elapsed;
            var up = await ContainerCommand.RunAsync("podman-compose", [.. compose, "up", "-d"], environment, TimeSpan.FromMinutes(3));
            containerIds.AddRange((await ContainerCommand.PodmanAsync(
                "ps", "-a", "-q", "--no-trunc", "--filter", $"label=io.podman.compose.project={project}")).Lines);
            Assert.True(up.ExitCode == 0, $"podman-compose up: {up}");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
            await WaitReadyAsync(http, project);
            output.WriteLine($"compose up to ready in {(clock.Elapsed - upStarted).TotalSeconds:F1} s");

            // Assert: HTTP, the same vectors as the AppHost's gateway for the same texts.
            using var reference = new HttpClient { BaseAddress = topology.Gateway, Timeout = TimeSpan.FromSeconds(60) };
            var expected = await EmbedAsync(reference, "passage");
            var overHttp = await EmbedAsync(http, "passage");
            AssertSameVectors(expected, overHttp, "HTTP");

            // KServe gRPC on nv-ingest's gRPC port, called as nv-ingest calls it.
            using var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
            var model = models.RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            var client = new NvIngestStyleClient(new GRPCInferenceService.GRPCInferenceServiceClient(channel), model);
            var overGrpc = await client.EmbedAsync(s_texts, "passage", "END", TimeSpan.FromSeconds(60));
            AssertSameVectors(expected, overGrpc, "gRPC");

            // The metrics port (nv-ingest's 8014) serves Prometheus text.
            using var metrics = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var text = await metrics.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            Assert.Contains("# TYPE ", text, StringComparison.Ordinal);
        }
        finally
        {
            var downStarted = clock.Elapsed;
            await DownAsync(compose, environment, project, tag);
            output.WriteLine($"down and clean-up in {(clock.Elapsed - downStarted).TotalSeconds:F1} s; whole test {clock.Elapsed.TotalSeconds:F1} s");
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder.
            }
        }

        // Nothing of the test's is left: containers, their monitor processes, the network, the images.
        Assert.NotEmpty(containerIds);
        Assert.Empty((await ContainerCommand.PodmanAsync("ps", "-a", "-q", "--filter", $"label=io.podman.compose.project={project}")).Lines);
        foreach (var container in containerIds)
        {
            Assert.Empty(ProcessTree.WithCommandLine(container));
        }

        Assert.DoesNotContain($"{project}_default", (await ContainerCommand.PodmanAsync("network", "ls", "--format", "{{.Name}}")).Lines);
        Assert.Empty((await ContainerCommand.PodmanAsync("images", "-q", "--filter", $"reference=*/nvembed-*:{tag}")).Lines);
    }

    private static async Task<float[][]> EmbedAsync(HttpClient http, string inputType)
    {
        using var response = await http.PostAsJsonAsync("/v1/embeddings", new { input = s_texts, model = "any", input_type = inputType });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{http.BaseAddress}: {body}");
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray())];
    }

    // The same model, runtime and graph on the same CPU: equal up to float rounding of a differently shaped batch.
    private static void AssertSameVectors(float[][] expected, float[][] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            var worst = expected[i].Zip(actual[i], (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst <= 1e-5f, $"{what}, text {i}: the containers' vector differs from the non-container stack's by up to {worst}");
        }
    }

    private async Task WaitReadyAsync(HttpClient http, string project)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ready = await http.GetAsync("/v1/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > s_readyTimeout)
            {
                var names = (await ContainerCommand.PodmanAsync("ps", "-a", "--format", "{{.Names}}", "--filter", $"label=io.podman.compose.project={project}")).Lines;
                foreach (var name in names)
                {
                    var logs = await ContainerCommand.RunAsync("podman", ["logs", "--tail", "30", name], null, TimeSpan.FromSeconds(30));
                    output.WriteLine($"--- {name}\n{logs.StandardOutput}{logs.StandardError}");
                }

                Assert.Fail($"the compose stack was not ready within {s_readyTimeout} (the containers' logs are in the test output)");
            }

            await Task.Delay(500);
        }
    }

    // `down`, then what podman-compose 1.0 leaves: the project's network (and containers, if `down` failed), and the
    // images this test tagged. Never throws, so the test's own failure is the one reported.
    private async Task DownAsync(string[] compose, Dictionary<string, string> environment, string project, string tag)
    {
        try
        {
            var down = await ContainerCommand.RunAsync("podman-compose", [.. compose, "down"], environment, TimeSpan.FromMinutes(3));
            if (down.ExitCode != 0)
            {
                output.WriteLine($"podman-compose down: {down}");
            }

            var left = await ContainerCommand.RunAsync("podman", ["ps", "-a", "-q", "--filter", $"label=io.podman.compose.project={project}"], null, TimeSpan.FromMinutes(1));
            if (left.Lines.Length > 0)
            {
                await ContainerCommand.RunAsync("podman", ["rm", "-f", .. left.Lines], null, TimeSpan.FromMinutes(2));
            }

            await ContainerCommand.RunAsync("podman", ["network", "rm", "--force", $"{project}_default"], null, TimeSpan.FromMinutes(1));
            var images = await ContainerCommand.RunAsync("podman", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", $"reference=*/nvembed-*:{tag}"], null, TimeSpan.FromMinutes(1));
            if (images.Lines.Length > 0)
            {
                await ContainerCommand.RunAsync("podman", ["rmi", .. images.Lines], null, TimeSpan.FromMinutes(2));
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            output.WriteLine($"clean-up failed: {ex}");
        }
    }

    // Copies the model directory, leaving every file and folder writable by the containers' user.
    private static void CopyWritable(string from, string to)
    {
        Directory.CreateDirectory(to);
        const UnixFileMode all = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
            UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(to, all);
        File.SetUnixFileMode(Path.GetDirectoryName(to)!, all);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            var copy = Path.Combine(to, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, all & ~(UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute));
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            CopyWritable(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
