using System.Text;
using System.Text.Json;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Tokenization;
using NvEmbed.Tokenizer.Tokenization.Normalizers;

namespace NvEmbed.Tests.Tokenizer;

public class Unicode9UnassignedTests
{
    [Fact]
    public async Task Ranges_ComparedWithUnicode9Package_AreTheSame()
    {
        // Arrange
        var result = await NodeScript.RunAsync("tokenizer/unicode9-unassigned.js", [], null, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var document = JsonDocument.Parse(result.StandardOutput);

        // Act
        int[] expected = [.. document.RootElement.GetProperty("Unassigned").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32()))];

        // Assert
        Assert.Equal(expected, Unicode9Unassigned.Ranges.ToArray());
        Assert.True(Unicode9Unassigned.Contains(0x32FF));
        Assert.False(Unicode9Unassigned.Contains(0x32FE));
    }

    [Theory]
    [InlineData(NormalizationForm.FormKC)]
    [InlineData(NormalizationForm.FormKD)]
    public void Normalize_CodePointAssignedAfterUnicode9_StaysAsItIs(NormalizationForm form)
    {
        // Arrange: U+32FF (Unicode 12.1) decomposes to U+4EE4 U+548C in .NET, next to U+32FE (Unicode 6.1) that still normalizes.
        var input = "\u32FE\u32FF\u00BD";
        var normalizer = new UnicodeNormalizer(form);
        Assert.NotEqual("\u32FF", "\u32FF".Normalize(form));

        // Act
        var output = normalizer.Normalize(NormalizedText.FromOriginal(input, 0)).ToString();

        // Assert
        Assert.Equal("\u32FE".Normalize(form) + "\u32FF" + "\u00BD".Normalize(form), output);
    }
}
