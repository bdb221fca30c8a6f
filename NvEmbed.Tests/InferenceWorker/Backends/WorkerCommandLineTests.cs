using System.Text.Json;
using NvEmbed.InferenceWorker.Cli;
using NvEmbed.Tests.InferenceWorker.Models;

namespace NvEmbed.Tests.InferenceWorker.Backends;

public sealed class WorkerCommandLineTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task RunAsync_CreateBuildEmbed_WritesReferenceVectorsInOrder()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = temp.Combine("m");
        var error = new StringWriter();
        var create = await WorkerCommandLine.RunAsync(
            ["create-model", "--out", dir, "--hidden", "32", "--layers", "2", "--heads", "4", "--kv-heads", "1", "--intermediate", "48", "--vocab", "300", "--dtype", "fp32"],
            TextReader.Null, TextWriter.Null, error).WaitAsync(s_timeout);
        var build = await WorkerCommandLine.RunAsync(["build", "--model-dir", dir, "--precision", "fp32", "--variant", "plain"], TextReader.Null, TextWriter.Null, error).WaitAsync(s_timeout);
        long[][] inputs = [[1, 2, 3], [299], [5, 6, 7, 8, 9, 10, 11]];
        var stdin = string.Join("\n", inputs.Select(i => JsonSerializer.Serialize(new Dictionary<string, long[]> { ["ids"] = i }))) + "\n{\"ids\": [100000]}\n";
        var stdout = new StringWriter();

        // Act
        var embed = await WorkerCommandLine.RunAsync(["embed", "--model-dir", dir, "--variant", "plain", "--precision", "fp32"], new StringReader(stdin), stdout, error).WaitAsync(s_timeout);

        // Assert
        Assert.Equal((0, 0, 0), (create, build, embed));
        Assert.Contains("layer 2/2", error.ToString(), StringComparison.Ordinal);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var reference = ReferenceLlamaEncoder.Load(dir);
        for (var i = 0; i < inputs.Length; i++)
        {
            using var line = JsonDocument.Parse(lines[i]);
            var vector = line.RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(32, vector.Length);
            Assert.True(VectorMath.Cosine(vector, reference.Embed(inputs[i])) >= 0.99999, $"line {i}");
        }

        Assert.Contains("outside the vocabulary", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EmbedWithoutOnnx_BuildsFirstWithProgress()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var error = new StringWriter();
        var stdout = new StringWriter();

        // Act
        var code = await WorkerCommandLine.RunAsync(["embed", "--model-dir", dir], new StringReader("{\"ids\":[1,2]}\n"), stdout, error).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(0, code);
        Assert.Contains("building fused", error.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "onnx", "model.onnx")));
        Assert.StartsWith("{\"embedding\":[", stdout.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "build" }, 2, "--model-dir")]
    [InlineData(new[] { "build", "--model-dir", "/nonexistent/nvembed-model" }, 1, "does not exist")]
    [InlineData(new[] { "build", "--model-dir", ".", "--precision", "fp8" }, 1, "fp8")]
    [InlineData(new[] { "create-model", "--out", "x", "--hiden", "3" }, 2, "--hiden")]
    public async Task RunAsync_BadArguments_FailWithMessageAndExitCode(string[] args, int expectedCode, string expectedMessage)
    {
        // Arrange
        var error = new StringWriter();

        // Act
        var code = await WorkerCommandLine.RunAsync(args, TextReader.Null, TextWriter.Null, error).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(expectedCode, code);
        Assert.Contains(expectedMessage, error.ToString(), StringComparison.Ordinal);
    }
}
