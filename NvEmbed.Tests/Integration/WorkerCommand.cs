using System.Text.Json;
using NvEmbed.InferenceWorker.Cli;

namespace NvEmbed.Tests.Integration;

/// <summary>The worker's command line (create-model, embed), run in the test process: the model outside the services, as a reference.</summary>
public static class WorkerCommand
{
    /// <summary>
    /// Generates a small model of the target architecture (bidirectional Llama, real Llama 3 tokenizer) with the
    /// worker's own <c>create-model</c>, as a user would.
    /// </summary>
    public static async Task CreateTinyModelAsync(string directory)
    {
        var (code, output, error) = await RunAsync(
        [
            "create-model", "--out", directory,
            "--hidden", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--intermediate", "128",
            "--vocab", "128256", "--dtype", "fp32",
        ], "");
        if (code != 0)
        {
            throw new InvalidOperationException($"create-model failed ({code}):\n{output}\n{error}");
        }
    }

    /// <summary>The full-dimension, normalised embedding of <paramref name="ids"/> from <c>embed --model-dir</c>.</summary>
    public static async Task<float[]> EmbedAsync(string modelDir, int[] ids)
    {
        var (code, output, error) = await RunAsync(["embed", "--model-dir", modelDir], JsonSerializer.Serialize(new { ids }) + "\n");
        if (code != 0)
        {
            throw new InvalidOperationException($"embed failed ({code}): {error}");
        }

        using var json = JsonDocument.Parse(output.Trim());
        return [.. json.RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args, string input)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await WorkerCommandLine.RunAsync(args, new StringReader(input), output, error).WaitAsync(TimeSpan.FromMinutes(3));
        return (code, output.ToString(), error.ToString());
    }
}
