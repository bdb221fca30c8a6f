namespace NvEmbed.Tokenizer.Tokenization.Processors;

/// <summary>
/// What a post-processor adds around a single sequence (TemplateProcessing, BertProcessing, RobertaProcessing,
/// or a Sequence of them): token ids before and after it.
/// </summary>
/// <param name="Prefix">Ids put before the sequence (e.g. Llama 3's &lt;|begin_of_text|&gt;, BERT's [CLS]).</param>
/// <param name="Suffix">Ids put after it (e.g. BERT's [SEP]).</param>
public sealed record SpecialTokenTemplate(int[] Prefix, int[] Suffix)
{
    /// <summary>No special tokens.</summary>
    public static SpecialTokenTemplate Empty { get; } = new([], []);

    /// <summary>Number of tokens added.</summary>
    public int Count => Prefix.Length + Suffix.Length;

    /// <summary>This template wrapped by <paramref name="outer"/> (a Sequence of processors).</summary>
    public SpecialTokenTemplate Then(SpecialTokenTemplate outer)
    {
        ArgumentNullException.ThrowIfNull(outer);
        return new([.. outer.Prefix, .. Prefix], [.. Suffix, .. outer.Suffix]);
    }
}
