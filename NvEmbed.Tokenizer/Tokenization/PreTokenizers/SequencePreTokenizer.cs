namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>Applies pre-tokenizers in order.</summary>
public sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> preTokenizers) : IPreTokenizer
{
    /// <summary>The pre-tokenizers, in order.</summary>
    public IReadOnlyList<IPreTokenizer> Items { get; } = preTokenizers;

    /// <inheritdoc/>
    public List<NormalizedText> PreTokenize(List<NormalizedText> pieces)
    {
        foreach (var item in Items)
        {
            pieces = item.PreTokenize(pieces);
        }

        return pieces;
    }
}
