using System.Diagnostics;
using System.Text;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

public class EncodeCommandTests
{
    private static async Task<(int ExitCode, string Output, string Error)> RunCliAsync(string input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NvEmbed.Tokenizer.dll"));
        info.ArgumentList.Add("encode");
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.StandardInput.WriteAsync(input.AsMemory(), cts.Token);
        process.StandardInput.Close();
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Encode_JsonLines_WritesTheEngineIdsInOrder()
    {
        // Arrange: escapes the CLI must read as JSON writes them, lone surrogate included.
        string[] texts = ["hello world", "line\nbreak \"quoted\" \\ back", "a\ud800b", "", "<|begin_of_text|>x", "émoji 👩‍💻"];
        var input = string.Concat(texts.Select(t => System.Text.Json.JsonSerializer.Serialize(new { text = t.Replace("\ud800", "?", StringComparison.Ordinal) }).Replace("a?b", "a\\ud800b", StringComparison.Ordinal) + "\n"));
        var tokenizer = HfTokenizer.Load(RepoPaths.Llama3TokenizerJson);

        // Act
        var (exitCode, output, error) = await RunCliAsync(input, "--tokenizer", RepoPaths.Llama3TokenizerJson);

        // Assert
        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(texts.Length, lines.Length);
        var buffer = new TokenBuffer();
        for (var i = 0; i < texts.Length; i++)
        {
            tokenizer.Encode(texts[i], buffer, EncodeSettings.Default);
            Assert.Equal("{\"ids\":[" + string.Join(',', buffer.Ids.ToArray()) + "]}", lines[i]);
        }
    }

    [Fact]
    public async Task Encode_NoSpecialTokensOption_OmitsBos()
    {
        // Act
        var (exitCode, output, _) = await RunCliAsync("{\"text\":\"hi\"}\n", "--tokenizer", RepoPaths.Llama3TokenizerJson, "--no-special-tokens");

        // Assert
        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("128000", output, StringComparison.Ordinal);
        Assert.StartsWith("{\"ids\":[", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_TooLongWithNoTruncation_WritesTheNimMessage()
    {
        // Act
        var (exitCode, output, _) = await RunCliAsync("{\"text\":\"one two three four five six\"}\n", "--tokenizer", RepoPaths.Llama3TokenizerJson, "--max-tokens", "3");

        // Assert
        Assert.Equal(0, exitCode);
        Assert.Contains("\"error\":\"Input length 7 exceeds maximum allowed token size 3\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encode_TextTheTokenizerRefuses_WritesAnErrorLineAndCarriesOn()
    {
        // Arrange: a Unigram model without an unknown token; Hugging Face refuses "abc" (no piece for 'c') with this message.
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-unigram-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{\"added_tokens\":[],\"model\":{\"type\":\"Unigram\",\"unk_id\":null,\"vocab\":[[\"a\",-1.0],[\"b\",-2.0]],\"byte_fallback\":false}}");
        try
        {
            // Act
            var (exitCode, output, error) = await RunCliAsync("{\"text\":\"ab\"}\n{\"text\":\"abc\"}\n{\"text\":\"b\"}\n", "--tokenizer", path);

            // Assert
            Assert.True(exitCode == 0, error);
            Assert.Equal(["{\"ids\":[0,1]}", "{\"error\":\"Encountered an unknown token but `unk_id` is missing\"}", "{\"ids\":[1]}"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Encode_OffsetsOption_WritesUtf16OffsetsEvenForEmptyText()
    {
        // Act
        var (exitCode, output, error) = await RunCliAsync("{\"text\":\"h\u00e9 😀\"}\n{\"text\":\"\"}\n", "--tokenizer", RepoPaths.Llama3TokenizerJson, "--offsets", "--no-special-tokens");

        // Assert
        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"ids\":[71,978,91416],\"offsets\":[[0,1],[1,2],[2,5]]}", lines[0]); // as npm tokenizers writes them
        Assert.Equal("{\"ids\":[],\"offsets\":[]}", lines[1]);
    }

    [Fact]
    public async Task Encode_MalformedTokenizer_FailsWithPath()
    {
        // Arrange
        var path = Path.Combine(Path.GetTempPath(), $"nvembed-bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, "{ broken");
        try
        {
            // Act
            var (exitCode, _, error) = await RunCliAsync("{\"text\":\"x\"}\n", "--tokenizer", path);

            // Assert
            Assert.Equal(1, exitCode);
            Assert.Contains(path, error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Encode_MalformedLine_FailsWithLineNumber()
    {
        // Act
        var (exitCode, _, error) = await RunCliAsync("{\"text\":\"ok\"}\nnot json\n", "--tokenizer", RepoPaths.Llama3TokenizerJson);

        // Assert
        Assert.Equal(1, exitCode);
        Assert.Contains("line 2", error, StringComparison.Ordinal);
    }
}
