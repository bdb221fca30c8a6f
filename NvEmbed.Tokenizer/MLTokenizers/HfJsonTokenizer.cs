using System.Buffers;
using Microsoft.ML.Tokenizers;
using NvEmbed.Tokenizer.Tokenization;
using EngineSettings = NvEmbed.Tokenizer.Tokenization.EncodeSettings;
using MLEncodeSettings = Microsoft.ML.Tokenizers.EncodeSettings;

namespace NvEmbed.Tokenizer.MLTokenizers;

/// <summary>
/// NvEmbed's exact tokenizer.json engine as a <see cref="Microsoft.ML.Tokenizers.Tokenizer"/>, so .NET code written
/// against that abstraction (text chunkers, token counting before a call, Semantic Kernel / Microsoft.Extensions.AI
/// helpers) gets the ids Hugging Face's <c>tokenizers</c> gives, for any tokenizer.json the engine loads.
/// </summary>
/// <remarks>
/// Token offsets are in UTF-16 code units of the text passed in (normalizers never rewrite it here: the engine maps
/// every token back to the original text), so <c>normalizedText</c> is always null. Normalization and
/// pre-tokenization are part of what makes the ids exact, so <see cref="MLEncodeSettings.ConsiderNormalization"/> and
/// <see cref="MLEncodeSettings.ConsiderPreTokenization"/> are not honoured: the file's own pipeline always runs.
/// A limit (<see cref="MLEncodeSettings.MaxTokenCount"/>, <c>GetIndexByTokenCount</c>) keeps whole tokens of the full
/// encoding and never cuts inside a character that two tokens share. A text the tokenizer cannot encode (as Hugging
/// Face refuses it) throws <see cref="ArgumentException"/> with the reason.
/// </remarks>
public sealed class HfJsonTokenizer : Microsoft.ML.Tokenizers.Tokenizer
{
    [ThreadStatic]
    private static TokenBuffer? t_buffer;

    private readonly bool _addSpecialTokens;

    /// <summary>Wraps a loaded engine; <paramref name="addSpecialTokens"/> adds the post-processor's tokens (e.g. Llama 3's
    /// BOS), as Hugging Face's <c>encode</c> does by default, and counts them against limits.</summary>
    public HfJsonTokenizer(HfTokenizer engine, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(engine);
        Engine = engine;
        _addSpecialTokens = addSpecialTokens;
    }

    /// <summary>The engine.</summary>
    public HfTokenizer Engine { get; }

    /// <summary>Loads <paramref name="tokenizerJson"/> (see <see cref="HfTokenizer.Load"/>).</summary>
    /// <exception cref="TokenizerLoadException">The file is missing, malformed or uses a feature the engine cannot honour exactly.</exception>
    public static HfJsonTokenizer Create(string tokenizerJson, bool addSpecialTokens = true) => new(HfTokenizer.Load(tokenizerJson), addSpecialTokens);

    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, MLEncodeSettings settings)
    {
        var source = text ?? new string(textSpan);
        var buffer = Encode(source);
        var count = Fit(buffer, source.Length, settings.MaxTokenCount, fromEnd: false, out var consumed);
        var tokens = new List<EncodedToken>(count);
        for (var i = 0; i < count; i++)
        {
            var id = buffer.IdAt(i);
            tokens.Add(new EncodedToken(id, Engine.IdToToken(id) ?? string.Empty, new Range(buffer.StartAt(i), buffer.EndAt(i))));
        }

        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, MLEncodeSettings settings)
    {
        var source = text ?? new string(textSpan);
        var buffer = Encode(source);
        var count = Fit(buffer, source.Length, settings.MaxTokenCount, fromEnd: false, out var consumed);
        return new EncodeResults<int> { Tokens = buffer.Ids[..count].ToArray(), NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, MLEncodeSettings settings)
    {
        var source = text ?? new string(textSpan);
        return Fit(Encode(source), source.Length, settings.MaxTokenCount, fromEnd: false, out _);
    }

    /// <inheritdoc/>
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, MLEncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        var source = text ?? new string(textSpan);
        var buffer = Encode(source);
        tokenCount = Fit(buffer, source.Length, settings.MaxTokenCount, fromEnd, out var consumed);
        normalizedText = null;
        return fromEnd ? source.Length - consumed : consumed;
    }

    /// <inheritdoc/>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return Engine.Decode([.. ids], skipSpecialTokens: false);
    }

    /// <inheritdoc/>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int[] all = [.. ids];
        var text = Engine.Decode(all, skipSpecialTokens: false);
        if (text.Length <= destination.Length)
        {
            text.CopyTo(destination);
            idsConsumed = all.Length;
            charsWritten = text.Length;
            return OperationStatus.Done;
        }

        // The longest prefix of the ids whose text fits (a byte-level token may end inside a character, so the text of a
        // prefix is not always a prefix of the text).
        idsConsumed = 0;
        charsWritten = 0;
        for (var k = 1; k < all.Length; k++)
        {
            var prefix = Engine.Decode(all.AsSpan(0, k), skipSpecialTokens: false);
            if (prefix.Length > destination.Length)
            {
                break;
            }

            prefix.CopyTo(destination);
            idsConsumed = k;
            charsWritten = prefix.Length;
        }

        return OperationStatus.DestinationTooSmall;
    }

    private TokenBuffer Encode(string text)
    {
        var buffer = t_buffer ??= new TokenBuffer(1024);
        var outcome = Engine.Encode(text, buffer, new EngineSettings(_addSpecialTokens, 0, Contracts.Clients.TruncationMode.None, WithOffsets: true));
        return outcome.Error is null ? buffer : throw new ArgumentException(outcome.Error, nameof(text));
    }

    // How many tokens (from the start, or from the end) fit in maxTokens (0: no limit) without cutting a character two
    // tokens share, and how many characters of the text they cover. The post-processor's tokens sit at the ends.
    private int Fit(TokenBuffer buffer, int textLength, int maxTokens, bool fromEnd, out int consumed)
    {
        var n = buffer.Count;
        if (maxTokens <= 0 || maxTokens >= n)
        {
            consumed = textLength;
            return n;
        }

        var prefix = _addSpecialTokens ? Engine.Template.Prefix.Length : 0;
        var suffix = _addSpecialTokens ? Engine.Template.Suffix.Length : 0;
        int Start(int i) => i < prefix ? 0 : i >= n - suffix ? textLength : buffer.StartAt(i);
        int End(int i) => i < prefix ? 0 : i >= n - suffix ? textLength : buffer.EndAt(i);

        for (var k = maxTokens; k > 0; k--)
        {
            var split = fromEnd ? n - k : k;
            var before = 0;
            for (var i = 0; i < split; i++)
            {
                before = Math.Max(before, End(i));
            }

            var after = textLength;
            for (var i = split; i < n; i++)
            {
                after = Math.Min(after, Start(i));
            }

            if (after >= before)
            {
                consumed = fromEnd ? textLength - after : before;
                return k;
            }
        }

        consumed = 0;
        return 0;
    }
}
