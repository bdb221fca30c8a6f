namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>The result of encoding one text, besides the tokens themselves.</summary>
/// <param name="TokenCount">Tokens the text has with special tokens before truncation (when the text was truncated
/// from a capped prefix or suffix this is the count of that part: still more than the limit).</param>
/// <param name="TooLong">True when the limit was exceeded with <see cref="NvEmbed.Contracts.Clients.TruncationMode.None"/>; no tokens were written.</param>
/// <param name="Truncated">True when tokens were dropped.</param>
/// <param name="Error">Set when the text could not be encoded (no tokens were written): the reason, for a per-input error.
/// The engine never throws for a text; this reports what would otherwise have been an exception.</param>
public readonly record struct EncodeOutcome(int TokenCount, bool TooLong, bool Truncated, string? Error = null);
