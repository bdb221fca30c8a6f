namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>
/// A BPE vocabulary (token string → id) that can come from tokenizer.json (a dictionary) or from the binary cache
/// (one character arena). The dictionary and the id → token array are built on first use, so a tokenizer loaded
/// from the cache whose fast path never asks for strings never builds them.
/// </summary>
internal sealed class BpeVocabulary
{
    private readonly object _gate = new();
    private readonly int[]? _ids;
    private readonly int[]? _lengths;
    private readonly char[]? _chars;
    private Dictionary<string, int>? _dictionary;
    private string[]? _byId;

    /// <summary>Wraps a vocabulary read from tokenizer.json.</summary>
    public BpeVocabulary(Dictionary<string, int> dictionary)
    {
        _dictionary = dictionary;
        Count = dictionary.Count;
    }

    /// <summary>A vocabulary from the arena form (entry i is <paramref name="ids"/>[i] with <paramref name="lengths"/>[i] characters).</summary>
    public BpeVocabulary(int[] ids, int[] lengths, char[] chars)
    {
        _ids = ids;
        _lengths = lengths;
        _chars = chars;
        Count = ids.Length;
    }

    /// <summary>Number of entries.</summary>
    public int Count { get; }

    /// <summary>Token string → id.</summary>
    public Dictionary<string, int> Dictionary
    {
        get
        {
            if (Volatile.Read(ref _dictionary) is { } built)
            {
                return built;
            }

            lock (_gate)
            {
                if (_dictionary is null)
                {
                    var dictionary = new Dictionary<string, int>(_ids!.Length, StringComparer.Ordinal);
                    var position = 0;
                    for (var i = 0; i < _ids.Length; i++)
                    {
                        dictionary[new string(_chars!, position, _lengths![i])] = _ids[i];
                        position += _lengths[i];
                    }

                    Volatile.Write(ref _dictionary, dictionary);
                }

                return _dictionary;
            }
        }
    }

    /// <summary>Id → token string (null where no token has the id).</summary>
    public string[] ById
    {
        get
        {
            if (Volatile.Read(ref _byId) is { } built)
            {
                return built;
            }

            lock (_gate)
            {
                if (_byId is null)
                {
                    Volatile.Write(ref _byId, VocabArrays.Invert(Dictionary));
                }

                return _byId;
            }
        }
    }

    /// <summary>The arena form: ids, lengths and characters, in one order.</summary>
    public (int[] Ids, int[] Lengths, char[] Chars) ToArena()
    {
        if (_ids is not null)
        {
            return (_ids, _lengths!, _chars!);
        }

        var dictionary = Dictionary;
        var ids = new int[dictionary.Count];
        var lengths = new int[dictionary.Count];
        var chars = new char[dictionary.Keys.Sum(k => k.Length)];
        var i = 0;
        var position = 0;
        foreach (var (token, id) in dictionary)
        {
            ids[i] = id;
            lengths[i++] = token.Length;
            token.CopyTo(chars.AsSpan(position));
            position += token.Length;
        }

        return (ids, lengths, chars);
    }
}
