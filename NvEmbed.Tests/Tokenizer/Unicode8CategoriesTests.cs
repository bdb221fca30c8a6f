using System.Text.Json;
using NvEmbed.Tests.Infrastructure;
using NvEmbed.Tokenizer.Tokenization;

namespace NvEmbed.Tests.Tokenizer;

public class Unicode8CategoriesTests
{
    [Fact]
    public async Task Ranges_ComparedWithUnicode8Package_AreTheSame()
    {
        // Arrange
        var result = await NodeScript.RunAsync("tokenizer/unicode8-ranges.js", [], null, TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.StandardError);
        using var document = JsonDocument.Parse(result.StandardOutput);
        int[] Flat(string name) => [.. document.RootElement.GetProperty(name).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetInt32()))];

        // Act
        var nonspacing = Flat("Nonspacing_Mark");
        var punctuation = Flat("Punctuation");
        var format = Flat("Format");

        // Assert
        Assert.Equal(nonspacing, Unicode8Categories.NonspacingMarkRanges.ToArray());
        Assert.Equal(punctuation, Unicode8Categories.PunctuationRanges.ToArray());
        Assert.Equal(format, Unicode8Categories.FormatRanges.ToArray());
        Assert.True(Unicode8Categories.IsNonspacingMark(0x08E3));
        Assert.False(Unicode8Categories.IsNonspacingMark(0x1DFB));
    }
}
