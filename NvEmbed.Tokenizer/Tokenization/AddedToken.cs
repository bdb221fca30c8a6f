namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>An entry of tokenizer.json's <c>added_tokens</c>: matched in the text before the model runs.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">The text it matches.</param>
/// <param name="SingleWord">Only matches when not inside a word.</param>
/// <param name="LeftStrip">Also takes the whitespace before it.</param>
/// <param name="RightStrip">Also takes the whitespace after it.</param>
/// <param name="Normalized">Matched in normalized text (otherwise in the raw text).</param>
/// <param name="Special">A special token (left out by decode with skip_special_tokens).</param>
public sealed record AddedToken(int Id, string Content, bool SingleWord, bool LeftStrip, bool RightStrip, bool Normalized, bool Special);
