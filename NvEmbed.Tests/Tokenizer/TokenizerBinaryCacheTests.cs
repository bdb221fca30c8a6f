using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>The compact binary form of a BPE tokenizer.json: written on first load, read after, never stale.</summary>
public sealed class TokenizerBinaryCacheTests : IDisposable
{
    private static readonly string[] s_texts = ["Hello world, it's 2024!", "naïve café 東京 👩‍💻 𝐁𝐨𝐥𝐝", "<|begin_of_text|>x  \n\n y", "ﬁnance\u00a0\t\r\n"];
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("nvembed-cache-test-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static List<int[]> EncodeAll(HfTokenizer tokenizer)
    {
        var buffer = new TokenBuffer();
        var settings = new EncodeSettings(true, 0, NvEmbed.Contracts.Clients.TruncationMode.None, WithOffsets: true);
        var result = new List<int[]>();
        foreach (var text in s_texts)
        {
            tokenizer.Encode(text, buffer, settings);
            result.Add([.. buffer.Ids, .. buffer.Offsets]);
        }

        return result;
    }

    [Fact]
    public void Load_SecondTime_ReadsTheCacheAndEncodesTheSame()
    {
        // Arrange
        var path = Path.Combine(_directory.FullName, "tokenizer.json");
        File.Copy(RepoPaths.Llama3TokenizerJson, path);
        var first = HfTokenizer.Load(path);
        var cache = path + ".nvembed-cache";

        // Act: make the JSON unreadable as JSON but keep size and time: only the cache can serve the second load.
        var written = File.GetLastWriteTimeUtc(path);
        var length = new FileInfo(path).Length;
        File.WriteAllBytes(path, new byte[length]);
        File.SetLastWriteTimeUtc(path, written);
        var second = HfTokenizer.Load(path);

        // Assert
        Assert.True(File.Exists(cache));
        Assert.True(new FileInfo(cache).Length < length * 2, "the cache should be compact");
        Assert.Equal(first.Fingerprint, second.Fingerprint);
        Assert.Equal(first.VocabSize, second.VocabSize);
        Assert.True(second.UsesFastPath);
        Assert.Equal(EncodeAll(first), EncodeAll(second));
        Assert.Equal(first.Decode([128000, 9906, 1917], skipSpecialTokens: false), second.Decode([128000, 9906, 1917], skipSpecialTokens: false));
    }

    [Fact]
    public void Load_EditedFile_IgnoresTheStaleCache()
    {
        // Arrange: a tiny byte-level BPE; the edit renumbers "ab".
        var path = Path.Combine(_directory.FullName, "tokenizer.json");
        File.WriteAllText(path, TinyBpe(abId: 256));
        var before = Encode(HfTokenizer.Load(path), "ab");

        // Act
        File.WriteAllText(path, TinyBpe(abId: 257));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var after = HfTokenizer.Load(path);

        // Assert
        Assert.Equal([256], before);
        Assert.Equal([257], Encode(after, "ab"));
    }

    [Fact]
    public void Load_DamagedCache_FallsBackToTheJsonAndRewritesIt()
    {
        // Arrange
        var path = Path.Combine(_directory.FullName, "tokenizer.json");
        File.WriteAllText(path, TinyBpe(abId: 256));
        HfTokenizer.Load(path);
        var cache = path + ".nvembed-cache";
        var bytes = File.ReadAllBytes(cache);
        File.WriteAllBytes(cache, bytes[..(bytes.Length / 2)]);

        // Act
        var tokenizer = HfTokenizer.Load(path);

        // Assert
        Assert.Equal([256], Encode(tokenizer, "ab"));
        Assert.Equal(bytes.Length, new FileInfo(cache).Length);
    }

    private static int[] Encode(HfTokenizer tokenizer, string text)
    {
        var buffer = new TokenBuffer();
        tokenizer.Encode(text, buffer, EncodeSettings.Default);
        return buffer.Ids.ToArray();
    }

    // Every byte of GPT-2's alphabet as ids 0..255, "ab" as abId and the other spare id as "ba".
    private static string TinyBpe(int abId)
    {
        var vocab = new List<string>();
        for (var b = 0; b < 256; b++)
        {
            vocab.Add($"{System.Text.Json.JsonSerializer.Serialize(ByteLevelAlphabet.ToChar((byte)b).ToString())}:{b}");
        }

        vocab.Add($"\"ab\":{abId}");
        vocab.Add($"\"ba\":{(abId == 256 ? 257 : 256)}");
        return "{\"added_tokens\":[],\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"
            + "\"model\":{\"type\":\"BPE\",\"vocab\":{" + string.Join(',', vocab) + "},\"merges\":[\"a b\",\"b a\"]}}";
    }
}
