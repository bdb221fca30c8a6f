using System.Security.Cryptography;

namespace NvEmbed.Contracts.ModelRepository;

/// <summary>
/// Identifies a model directory so the Api can refuse to pair a tokenizer with a worker of another
/// model. Tokenizer and worker compute it the same way from the same directory.
/// </summary>
public static class ModelFingerprint
{
    // The small files are hashed whole; weight files by name, size and their first 1 MiB (a
    // safetensors header lists every tensor's name, shape and offsets), so a multi-GB model is
    // fingerprinted in milliseconds. An onnx/ graph that NvEmbed built (it has nvembed-build.json)
    // is derived from the hashed weights and left out, so the fingerprint does not change when a
    // worker builds it after the tokenizer has read the directory; a ready-made ONNX model counts.
    private static readonly string[] s_wholeFiles = ["config.json", "tokenizer.json", ModelServingSettings.FileName];
    private const int WeightPrefixBytes = 1 << 20;

    /// <summary>The file the worker's graph builder writes into onnx/ beside a graph it built.</summary>
    public const string BuiltGraphMarker = "nvembed-build.json";

    /// <summary>Hex SHA-256 fingerprint of <paramref name="modelDir"/>.</summary>
    public static string Compute(string modelDir)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in s_wholeFiles)
        {
            var path = Path.Combine(modelDir, name);
            AppendName(hash, name);
            if (File.Exists(path))
            {
                hash.AppendData(File.ReadAllBytes(path));
            }
        }

        var onnxDir = Path.Combine(modelDir, "onnx");
        var readyMadeOnnx = Directory.Exists(onnxDir) && !File.Exists(Path.Combine(onnxDir, BuiltGraphMarker));
        var weights = Directory.EnumerateFiles(modelDir, "*.safetensors")
            .Concat(readyMadeOnnx ? Directory.EnumerateFiles(onnxDir, "*.onnx") : [])
            .Order(StringComparer.Ordinal);
        var buffer = new byte[WeightPrefixBytes];
        foreach (var path in weights)
        {
            AppendName(hash, Path.GetRelativePath(modelDir, path));
            using var stream = File.OpenRead(path);
            hash.AppendData(BitConverter.GetBytes(stream.Length));
            var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void AppendName(IncrementalHash hash, string name)
    {
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name));
        hash.AppendData([0]);
    }
}
