namespace NvEmbed.Tokenizer.Tokenization.PreTokenizers;

/// <summary>What a split does with the delimiters it finds (tokenizer.json's <c>behavior</c>).</summary>
public enum SplitBehavior
{
    /// <summary>Delimiters are dropped.</summary>
    Removed,

    /// <summary>Each delimiter is a piece of its own.</summary>
    Isolated,

    /// <summary>Each delimiter joins the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>Each delimiter joins the piece after it.</summary>
    MergedWithNext,

    /// <summary>Consecutive delimiters form one piece.</summary>
    Contiguous,
}
