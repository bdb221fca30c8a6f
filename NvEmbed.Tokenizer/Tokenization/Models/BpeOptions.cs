namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>The settings of a tokenizer.json BPE model besides its vocabulary and merges.</summary>
internal readonly record struct BpeOptions(string? UnkToken, string? ContinuingSubwordPrefix, string? EndOfWordSuffix, bool FuseUnk, bool ByteFallback, bool IgnoreMerges);
