namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// A text the tokenizer cannot encode, for a reason Hugging Face also refuses it (its message is kept). Raised inside
/// the engine and turned into <see cref="EncodeOutcome.Error"/> for that text alone; it never leaves
/// <see cref="HfTokenizer"/>.
/// </summary>
internal sealed class TokenizerEncodeException(string message) : Exception(message);
