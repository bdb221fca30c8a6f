using NvEmbed.Contracts.Clients;

namespace NvEmbed.Api.Embedding;

/// <summary>One embedding request in the Api's own terms, whatever surface it came from.</summary>
/// <param name="Texts">The inputs, non-empty, in order.</param>
/// <param name="Prefix">Prepended to every input ("query: ", "passage: " or "").</param>
/// <param name="Truncation">What to do with inputs over the token limit.</param>
/// <param name="Dimensions">Matryoshka size, already checked against the model's.</param>
/// <param name="Normalize">L2-normalise the vectors (NIM always does; TEI's <c>normalize</c>).</param>
public sealed record EmbedCommand(IReadOnlyList<string> Texts, string Prefix, TruncationMode Truncation, int Dimensions, bool Normalize);
