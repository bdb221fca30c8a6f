namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>A tokenizer.json model: turns one pre-tokenized piece into token ids.</summary>
public interface ITokenModel
{
    /// <summary>"BPE", "WordPiece" or "Unigram".</summary>
    string Type { get; }

    /// <summary>Number of entries in the model's vocabulary (added tokens not counted).</summary>
    int VocabSize { get; }

    /// <summary>Appends the tokens of <paramref name="piece"/> to <paramref name="output"/>, with spans in units of <paramref name="piece"/>.</summary>
    void Tokenize(ReadOnlySpan<char> piece, TokenBuffer output);

    /// <summary>The id of <paramref name="token"/>, or -1.</summary>
    int TokenToId(string token);

    /// <summary>The token string of <paramref name="id"/>, or null.</summary>
    string? IdToToken(int id);
}
