using System.Text;
using NvEmbed.Tokenizer.Cli;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>Runs NvEmbed's engine over a corpus and compares with the reference's lines, exactly.</summary>
public static class ParityComparer
{
    /// <summary>The outcome: how many matched, and a readable report of the first mismatches.</summary>
    public sealed record Report(int Total, int Mismatches, string FirstMismatches);

    /// <summary>Compares ids (and offsets when the reference lines carry them).</summary>
    /// <remarks>With <paramref name="utf8"/> the texts go through the UTF-8 entry point (as the encode command's do).</remarks>
    public static Report Compare(HfTokenizer tokenizer, TokenizerReference.Corpus corpus, IReadOnlyList<string> reference, bool addSpecialTokens, bool offsets, bool utf8 = false)
    {
        var buffer = new TokenBuffer();
        var settings = new EncodeSettings(addSpecialTokens, 0, NvEmbed.Contracts.Clients.TruncationMode.None, offsets);
        var mismatches = 0;
        var report = new StringBuilder();
        for (var i = 0; i < corpus.Texts.Count; i++)
        {
            var outcome = utf8
                ? tokenizer.Encode(Encoding.UTF8.GetBytes(corpus.Texts[i]), buffer, settings)
                : tokenizer.Encode(corpus.Texts[i], buffer, settings);
            Assert.True(outcome.Error is null, $"#{i}: {outcome.Error}");
            var line = Encoding.UTF8.GetBytes(reference[i]);
            var expectedIds = JsonLines.ReadIntArrayProperty(line, "ids");
            var ok = buffer.Ids.SequenceEqual(expectedIds);
            int[]? expectedOffsets = null;
            if (ok && offsets)
            {
                expectedOffsets = ReadOffsets(reference[i]);
                ok = buffer.Offsets.SequenceEqual(expectedOffsets);
            }

            if (ok)
            {
                continue;
            }

            if (++mismatches <= 10)
            {
                report.AppendLine($"#{i} text: {Escape(corpus.Texts[i])}");
                report.AppendLine($"   reference ids: [{string.Join(',', expectedIds)}]");
                report.AppendLine($"   nvembed   ids: [{string.Join(',', buffer.Ids.ToArray())}]");
                if (expectedOffsets is not null)
                {
                    report.AppendLine($"   reference offsets: [{string.Join(',', expectedOffsets)}]");
                    report.AppendLine($"   nvembed   offsets: [{string.Join(',', buffer.Offsets.ToArray())}]");
                }
            }
        }

        return new Report(corpus.Texts.Count, mismatches, report.ToString());
    }

    private static int[] ReadOffsets(string line)
    {
        using var document = System.Text.Json.JsonDocument.Parse(line);
        return [.. document.RootElement.GetProperty("offsets").EnumerateArray().SelectMany(p => p.EnumerateArray().Select(v => v.GetInt32()))];
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text.Length > 300 ? text[..300] + "…" : text)
        {
            builder.Append(c < 0x20 || char.IsSurrogate(c) || c is '\u2028' or '\u2029' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return builder.ToString();
    }
}
