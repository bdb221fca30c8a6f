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

    [Fact]
    public async Task RunAsync_EmbedWithBatch_PadsLinesTogetherAndGivesTheVectorsOfLinesAlone()
    {
        // Arrange: lines of different lengths, run 3 to a padded batch, and one bad line among them.
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        long[][] inputs = [[1, 2, 3], [7, 8, 9, 10, 11, 12, 13, 14], [299], [4, 5]];
        var lines = inputs.Select(i => JsonSerializer.Serialize(new Dictionary<string, long[]> { ["ids"] = i })).ToList();
        lines.Insert(2, "{\"ids\": [100000]}");
        var alone = new StringWriter();
        var batched = new StringWriter();

        // Act
        var a = await WorkerCommandLine.RunAsync(["embed", "--model-dir", dir], new StringReader(string.Join("\n", lines)), alone, TextWriter.Null).WaitAsync(s_timeout);
        var b = await WorkerCommandLine.RunAsync(["embed", "--model-dir", dir, "--batch", "3"], new StringReader(string.Join("\n", lines)), batched, TextWriter.Null).WaitAsync(s_timeout);

        // Assert
        Assert.Equal((0, 0), (a, b));
        var one = alone.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var many = batched.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, many.Length);
        Assert.Contains("outside the vocabulary", many[2], StringComparison.Ordinal);
        foreach (var i in new[] { 0, 1, 3, 4 })
        {
            var x = JsonDocument.Parse(one[i]).RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var y = JsonDocument.Parse(many[i]).RootElement.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.True(VectorMath.Cosine(x, y) >= 0.99999, $"line {i}");
        }
    }

    [Fact]
    public async Task RunAsync_Bench_PrintsOneJsonLinePerShapeAndPerSchedulerPoint()
    {
        // Arrange
        using var temp = new TempDirectory();
        var dir = ModelFiles.CreateTiny(temp.Combine("m"));
        var stdout = new StringWriter();

        // Act
        var code = await WorkerCommandLine.RunAsync(
            ["bench", "--model-dir", dir, "--shapes", "1x8,3x16", "--seconds", "0.05", "--scheduler-seconds", "1", "--concurrency", "2", "--budgets", "256,512"],
            TextReader.Null, stdout, TextWriter.Null).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(0, code);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, lines.Count);
        Assert.Equal([(1, 8), (3, 16)], lines.Take(2).Select(l => (l.GetProperty("B").GetInt32(), l.GetProperty("S").GetInt32())).ToArray());
        Assert.All(lines.Take(2), l =>
        {
            Assert.Equal("shape", l.GetProperty("kind").GetString());
            Assert.True(l.GetProperty("ms").GetDouble() > 0);
            Assert.Equal(l.GetProperty("B").GetInt32() * l.GetProperty("S").GetInt32() / (l.GetProperty("ms").GetDouble() / 1000), l.GetProperty("tok_s").GetDouble(), 0.01 * l.GetProperty("tok_s").GetDouble());
        });
        Assert.Equal([256, 512], lines.Skip(2).Select(l => l.GetProperty("budget").GetInt32()).ToArray());
        Assert.All(lines.Skip(2), l =>
        {
            Assert.Equal("scheduler", l.GetProperty("kind").GetString());
            Assert.Equal(0, l.GetProperty("errors").GetInt32());
            Assert.True(l.GetProperty("req_s").GetDouble() > 0);
        });
        Assert.All(lines, l => Assert.Equal("fp32", l.GetProperty("precision").GetString()));
    }

    [Theory]
    [InlineData(new[] { "build" }, 2, "--model-dir")]
    [InlineData(new[] { "bench", "--model-dir", ".", "--shapes", "4by32" }, 2, "4by32")]
    [InlineData(new[] { "embed", "--model-dir", ".", "--variant", "sparse" }, 2, "sparse")]
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
