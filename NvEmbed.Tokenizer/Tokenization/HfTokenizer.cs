using System.Text;
using NvEmbed.Contracts.Clients;
using NvEmbed.Tokenizer.Tokenization.Decoders;
using NvEmbed.Tokenizer.Tokenization.Models;
using NvEmbed.Tokenizer.Tokenization.Normalizers;
using NvEmbed.Tokenizer.Tokenization.PreTokenizers;
using NvEmbed.Tokenizer.Tokenization.Processors;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json, loaded: added tokens, normalizer, pre-tokenizer, model, post-processor
/// and decoder, giving the same ids as Hugging Face's <c>tokenizers</c>. Thread-safe.
/// </summary>
public sealed class HfTokenizer
{
    // Truncating input is capped at this many UTF-16 units per token of the limit before tokenizing
    // (TEI caps characters the same way). English prose averages about 4.5 characters per Llama 3 token
    // and the UDHR texts at most about 9, so 16 leaves room; when a capped text yields fewer tokens than
    // the limit, the whole text is tokenized instead, so the cap never changes the result.
    private const int CapCharsPerToken = 16;

    // How far past the cap a word boundary is looked for before giving up the cap.
    private const int CapBoundarySearch = 4096;

    [ThreadStatic]
    private static TokenBuffer? t_content;

    [ThreadStatic]
    private static TokenBuffer? t_piece;

    [ThreadStatic]
    private static byte[]? t_utf8;

    [ThreadStatic]
    private static byte[]? t_sanitized;

    private readonly INormalizer? _normalizer;
    private readonly IPreTokenizer? _preTokenizer;
    private readonly IDecoder? _decoder;
    private readonly ByteLevelBpe? _byteLevelBpe;
    private readonly bool _capSafe;
    private readonly Lazy<int> _vocabSize;

    internal HfTokenizer(
        string path,
        string fingerprint,
        AddedVocabulary addedTokens,
        INormalizer? normalizer,
        IPreTokenizer? preTokenizer,
        ITokenModel model,
        SpecialTokenTemplate template,
        IDecoder? decoder,
        bool capSafe)
    {
        Path = path;
        Fingerprint = fingerprint;
        AddedTokens = addedTokens;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        Model = model;
        Template = template;
        _decoder = decoder;
        _capSafe = capSafe;

        // The fast path: no normalizer, the Llama 3 split then ByteLevel without its own regex, byte-level BPE.
        if (normalizer is null && model is BpeModel { ByteLevel: { } byteLevel }
            && preTokenizer is SequencePreTokenizer { Items: [SplitPreTokenizer { UsesLlama3Scanner: true, Behavior: SplitBehavior.Isolated, Invert: false }, ByteLevelPreTokenizer { AddPrefixSpace: false, UseRegex: false }] })
        {
            _byteLevelBpe = byteLevel;
        }

        _vocabSize = new Lazy<int>(() =>
        {
            var size = model.VocabSize;
            foreach (var token in addedTokens.Tokens)
            {
                if (model.TokenToId(token.Content) < 0)
                {
                    size++;
                }
            }

            return size;
        });
    }

    /// <summary>The file it was loaded from.</summary>
    public string Path { get; }

    /// <summary>Hex SHA-256 of the file.</summary>
    public string Fingerprint { get; }

    /// <summary>The model.</summary>
    public ITokenModel Model { get; }

    /// <summary>The added tokens.</summary>
    public AddedVocabulary AddedTokens { get; }

    /// <summary>What the post-processor adds around a sequence.</summary>
    public SpecialTokenTemplate Template { get; }

    /// <summary>Vocabulary size with added tokens (Hugging Face's <c>get_vocab_size(true)</c>).</summary>
    public int VocabSize => _vocabSize.Value;

    /// <summary>True when the Llama 3 fast path (scanner + byte-level BPE over UTF-8, no strings) is used.</summary>
    public bool UsesFastPath => _byteLevelBpe is not null;

    /// <summary>Loads <paramref name="path"/>.</summary>
    /// <exception cref="TokenizerLoadException">The file is missing, malformed or uses an unknown component.</exception>
    public static HfTokenizer Load(string path) => TokenizerJsonLoader.Load(path);

    /// <summary>
    /// Encodes <paramref name="text"/> into <paramref name="output"/> (cleared first). Never throws for a text: one
    /// the engine cannot encode gets <see cref="EncodeOutcome.Error"/> and no tokens.
    /// </summary>
    public EncodeOutcome Encode(string text, TokenBuffer output, in EncodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(output);
        output.Clear();
        try
        {
            if (_byteLevelBpe is not null)
            {
                // Lone surrogates become U+FFFD on the way to UTF-8 (the encoder's replacement), as in Hugging Face.
                var scratch = t_utf8 ??= new byte[4096];
                var needed = Encoding.UTF8.GetMaxByteCount(text.Length);
                if (scratch.Length < needed)
                {
                    t_utf8 = scratch = new byte[Math.Max(needed, scratch.Length * 2)];
                }

                var length = Encoding.UTF8.GetBytes(text, scratch);
                return EncodeByteLevel(scratch.AsSpan(0, length), output, settings);
            }

            return EncodeUtf16(ReplaceLoneSurrogates(text), output, settings);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            output.Clear();
            return Failed(ex);
        }
    }

    /// <summary>
    /// Encodes UTF-8 text (invalid sequences read as U+FFFD) into <paramref name="output"/> (cleared first); offsets,
    /// when asked for, are in UTF-16 code units as for <see cref="Encode(string, TokenBuffer, in EncodeSettings)"/>.
    /// The byte-level fast path runs on the bytes as they are, with no string.
    /// </summary>
    public EncodeOutcome Encode(ReadOnlySpan<byte> utf8, TokenBuffer output, in EncodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Clear();
        try
        {
            if (_byteLevelBpe is not null)
            {
                var scratch = t_sanitized;
                var valid = Utf8Text.Sanitize(utf8, ref scratch);
                t_sanitized = scratch;
                return EncodeByteLevel(valid, output, settings);
            }

            return EncodeUtf16(Encoding.UTF8.GetString(utf8), output, settings);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            output.Clear();
            return Failed(ex);
        }
    }

    /// <summary>Turns ids back into text (ids outside the vocabulary are skipped, as Hugging Face does).</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var tokens = new List<string>(ids.Length);
        foreach (var id in ids)
        {
            var added = AddedTokens.ById(id);
            if (added is not null)
            {
                if (!(skipSpecialTokens && added.Special))
                {
                    tokens.Add(added.Content);
                }

                continue;
            }

            var token = Model.IdToToken(id);
            if (token is not null)
            {
                tokens.Add(token);
            }
        }

        return _decoder is null ? string.Join(' ', tokens) : string.Concat(_decoder.Decode(tokens));
    }

    /// <summary>The token string of <paramref name="id"/> (added tokens included), or null.</summary>
    public string? IdToToken(int id) => AddedTokens.ById(id)?.Content ?? Model.IdToToken(id);

    /// <summary>Invalid UTF-16 (lone surrogates) becomes U+FFFD, as it does on its way into Hugging Face's Rust strings.</summary>
    internal static string ReplaceLoneSurrogates(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0 || Utf16Valid(span[first..]))
        {
            return text;
        }

        var chars = span.ToArray();
        for (var i = first; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }

    private static bool Utf16Valid(ReadOnlySpan<char> span)
    {
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                return false;
            }
        }

        return true;
    }

    private EncodeOutcome EncodeUtf16(string text, TokenBuffer output, in EncodeSettings settings)
    {
        var template = settings.AddSpecialTokens ? Template : SpecialTokenTemplate.Empty;
        var content = t_content ??= new TokenBuffer(1024);
        content.Clear();
        var budget = Budget(settings, template);
        var (from, to) = (0, text.Length);
        if (CapApplies(text.Length, settings, budget, out var searchFrom, out var direction))
        {
            (from, to) = CapWindow(text.Length, direction, FindWordBoundary(text, searchFrom, direction));
        }

        EncodeContent(text, from, to, content);
        if ((from > 0 || to < text.Length) && content.Count < budget)
        {
            content.Clear();
            EncodeContent(text, 0, text.Length, content);
        }

        return Finish(content, output, settings, template, budget);
    }

    private EncodeOutcome EncodeByteLevel(ReadOnlySpan<byte> text, TokenBuffer output, in EncodeSettings settings)
    {
        var template = settings.AddSpecialTokens ? Template : SpecialTokenTemplate.Empty;
        var content = t_content ??= new TokenBuffer(1024);
        content.Clear();
        var budget = Budget(settings, template);
        var (from, to) = (0, text.Length);
        if (CapApplies(text.Length, settings, budget, out var searchFrom, out var direction))
        {
            (from, to) = CapWindow(text.Length, direction, FindWordBoundary(text, searchFrom, direction));
        }

        EncodeByteLevelContent(text, from, to, content, settings.WithOffsets);
        if ((from > 0 || to < text.Length) && content.Count < budget)
        {
            content.Clear();
            EncodeByteLevelContent(text, 0, text.Length, content, settings.WithOffsets);
        }

        if (settings.WithOffsets)
        {
            ByteOffsets.ToUtf16(text, content);
        }

        return Finish(content, output, settings, template, budget);
    }

    private static EncodeOutcome Failed(Exception ex) => new(0, false, false, ex is TokenizerEncodeException
        ? ex.Message
        : $"The text could not be encoded: {ex.GetType().Name}: {ex.Message}. This is a bug in NvEmbed's tokenizer.");

    private static int Budget(in EncodeSettings settings, SpecialTokenTemplate template) =>
        settings.MaxTokens > 0 ? Math.Max(settings.MaxTokens - template.Count, 0) : int.MaxValue;

    // Whether a long text is encoded only in part, and where to look for the word boundary that part ends (truncation
    // at the end: direction +1) or starts at (truncation at the start: -1); the caller searches in its own encoding.
    private bool CapApplies(int length, in EncodeSettings settings, int budget, out int searchFrom, out int direction)
    {
        var limit = (long)budget * CapCharsPerToken + 64;
        var cap = (int)Math.Min(limit, int.MaxValue);
        direction = settings.Truncation == TruncationMode.End ? +1 : -1;
        searchFrom = direction > 0 ? cap : length - cap;
        return settings.MaxTokens > 0 && settings.Truncation != TruncationMode.None && _capSafe && length > limit + 2;
    }

    // The part to encode: up to the boundary, or from it; the whole text's side when no boundary was found.
    private static (int From, int To) CapWindow(int length, int direction, int? boundary) =>
        direction > 0 ? (0, boundary ?? length) : (boundary ?? 0, length);

    private static EncodeOutcome Finish(TokenBuffer content, TokenBuffer output, in EncodeSettings settings, SpecialTokenTemplate template, int budget)
    {
        var total = content.Count + template.Count;
        var keepFrom = 0;
        var keep = content.Count;
        var truncated = false;
        if (settings.MaxTokens > 0 && total > settings.MaxTokens)
        {
            if (settings.Truncation == TruncationMode.None)
            {
                return new EncodeOutcome(total, TooLong: true, Truncated: false);
            }

            truncated = true;
            keep = Math.Min(budget, content.Count);
            keepFrom = settings.Truncation == TruncationMode.Start ? content.Count - keep : 0;
        }

        foreach (var id in template.Prefix)
        {
            output.Add(id, 0, 0);
        }

        output.AddRange(content, keepFrom, keep);
        foreach (var id in template.Suffix)
        {
            output.Add(id, 0, 0);
        }

        return new EncodeOutcome(total, TooLong: false, truncated);
    }

    // A position i with a letter before, a space at i and a letter after: every pre-tokenizer this engine
    // allows capping with ends a piece before such a space, so cutting there leaves the other pieces alone.
    private static int? FindWordBoundary(string text, int start, int direction)
    {
        for (var step = 0; step < CapBoundarySearch; step++)
        {
            var i = start + direction * step;
            if (i < 1 || i >= text.Length - 1)
            {
                return null;
            }

            if (text[i] == ' ' && char.IsLetter(text[i - 1]) && char.IsLetter(text[i + 1]))
            {
                return i;
            }
        }

        return null;
    }

    // The same boundary in UTF-8 (the letters may be of any length).
    private static int? FindWordBoundary(ReadOnlySpan<byte> text, int start, int direction)
    {
        for (var step = 0; step < CapBoundarySearch; step++)
        {
            var i = start + direction * step;
            if (i < 1 || i >= text.Length - 1)
            {
                return null;
            }

            if (text[i] == ' '
                && Rune.DecodeLastFromUtf8(text[..i], out var before, out _) == System.Buffers.OperationStatus.Done && Rune.IsLetter(before)
                && Rune.DecodeFromUtf8(text[(i + 1)..], out var after, out _) == System.Buffers.OperationStatus.Done && Rune.IsLetter(after))
            {
                return i;
            }
        }

        return null;
    }

    private void EncodeByteLevelContent(ReadOnlySpan<byte> text, int from, int to, TokenBuffer output, bool withOffsets)
    {
        var span = text[..to];
        var position = from;
        while (position < to)
        {
            if (AddedTokens.FindNext(span, position, position, out var start, out var end, out var id))
            {
                EncodeByteLevelSegment(text, position, start, output, withOffsets);
                output.Add(id, start, end);
                position = end;
            }
            else
            {
                EncodeByteLevelSegment(text, position, to, output, withOffsets);
                break;
            }
        }
    }

    private void EncodeByteLevelSegment(ReadOnlySpan<byte> text, int start, int end, TokenBuffer output, bool withOffsets)
    {
        var bpe = _byteLevelBpe!;
        var segment = text[..end];
        for (var i = start; i < end;)
        {
            var next = Llama3Scanner.NextEnd(segment, i);
            var mark = output.Count;
            bpe.Tokenize(segment[i..next], output);
            if (withOffsets)
            {
                ByteOffsets.SetPieceSpans(bpe.Vocabulary, output, mark, i);
            }

            i = next;
        }
    }

    private void EncodeContent(string text, int from, int to, TokenBuffer output)
    {
        var span = text.AsSpan(0, to);
        var position = from;
        while (position < to)
        {
            if (AddedTokens.FindNext(span, position, position, out var start, out var end, out var id))
            {
                EncodeSegment(text, position, start, output);
                output.Add(id, start, end);
                position = end;
            }
            else
            {
                EncodeSegment(text, position, to, output);
                break;
            }
        }
    }

    private void EncodeSegment(string text, int start, int end, TokenBuffer output)
    {
        if (end <= start)
        {
            return;
        }

        var normalized = NormalizedText.FromOriginal(text.AsSpan(start, end - start), start);
        if (_normalizer is not null)
        {
            normalized = _normalizer.Normalize(normalized);
        }

        List<NormalizedText> pieces = [normalized];
        if (_preTokenizer is not null)
        {
            pieces = _preTokenizer.PreTokenize(pieces);
        }

        var scratch = t_piece ??= new TokenBuffer();
        foreach (var piece in pieces)
        {
            if (piece.Length == 0)
            {
                continue;
            }

            scratch.Clear();
            Model.Tokenize(piece.Chars, scratch);
            for (var k = 0; k < scratch.Count; k++)
            {
                var s = scratch.StartAt(k);
                var e = scratch.EndAt(k);
                if (e == s && s > 0)
                {
                    // A byte-fallback byte after the first of its character: Hugging Face gives every byte of a character the
                    // character's span (its offsets are bytes, widened to the characters they touch).
                    s -= s >= 2 && char.IsLowSurrogate(piece.Chars[s - 1]) && char.IsHighSurrogate(piece.Chars[s - 2]) ? 2 : 1;
                }

                var originalStart = s < piece.Length ? piece.StartOf(s) : piece.EndOf(piece.Length - 1);
                var originalEnd = e > s ? piece.EndOf(e - 1) : originalStart;
                output.Add(scratch.IdAt(k), originalStart, originalEnd);
            }
        }
    }
}
