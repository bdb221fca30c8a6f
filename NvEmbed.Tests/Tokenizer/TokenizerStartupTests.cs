using System.Diagnostics;

namespace NvEmbed.Tests.Tokenizer;

public class TokenizerStartupTests
{
    [Fact]
    public async Task Start_ModelDirectoryWithoutTokenizer_ExitsWithOneNamingTheFile()
    {
        // Arrange: a model directory that holds no tokenizer.json.
        var modelDir = Path.Combine(Path.GetTempPath(), $"nvembed-no-tokenizer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(modelDir);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "NvEmbed.Tokenizer.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        info.Environment["NVEMBED_MODEL_DIR"] = modelDir;

        try
        {
            // Act
            using var process = Process.Start(info)!;
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            await process.WaitForExitAsync(cts.Token);

            // Assert: a clear message and exit code 1, not an unhandled exception (134).
            Assert.Equal(1, process.ExitCode);
            var error = await stderr;
            Assert.Contains(Path.Combine(modelDir, "tokenizer.json"), error, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", error + await stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(modelDir, recursive: true);
        }
    }
}
