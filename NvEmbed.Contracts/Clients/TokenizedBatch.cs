namespace NvEmbed.Contracts.Clients;

/// <summary>
/// A tokenized batch in the flat layout the worker takes: sequence <c>i</c> is
/// <c>InputIds[CuSeqLengths[i] .. CuSeqLengths[i + 1]]</c>. Inputs listed in <see cref="Errors"/>
/// have empty sequences.
/// </summary>
/// <param name="InputIds">All sequences, concatenated.</param>
/// <param name="CuSeqLengths">Count + 1 offsets into <paramref name="InputIds"/>, starting at 0.</param>
/// <param name="Errors">Inputs that could not be tokenized, by index; empty when all succeeded.</param>
/// <param name="Offsets">When requested: (start, end) UTF-16 spans per token, flat; otherwise empty.</param>
public sealed record TokenizedBatch(int[] InputIds, int[] CuSeqLengths, IReadOnlyList<TokenizeError> Errors, int[] Offsets)
{
    /// <summary>Number of sequences.</summary>
    public int Count => CuSeqLengths.Length - 1;

    /// <summary>The ids of sequence <paramref name="index"/>.</summary>
    public ReadOnlySpan<int> Sequence(int index) =>
        InputIds.AsSpan(CuSeqLengths[index], CuSeqLengths[index + 1] - CuSeqLengths[index]);
}

/// <summary>Why an input could not be tokenized.</summary>
public enum TokenizeErrorKind
{
    /// <summary>Longer than the token limit with <see cref="TruncationMode.None"/>.</summary>
    TooLong,

    /// <summary>Over the per-input size guard.</summary>
    TooLarge,

    /// <summary>An empty text.</summary>
    Empty,
}

/// <summary>One input that could not be tokenized.</summary>
/// <param name="Index">The input's position in the request.</param>
/// <param name="Kind">The reason.</param>
/// <param name="Message">A message fit for the caller.</param>
/// <param name="TokenCount">For <see cref="TokenizeErrorKind.TooLong"/>: the input's token count, special tokens included.</param>
/// <param name="MaxTokens">The limit that was applied.</param>
public sealed record TokenizeError(int Index, TokenizeErrorKind Kind, string Message, int TokenCount, int MaxTokens);
