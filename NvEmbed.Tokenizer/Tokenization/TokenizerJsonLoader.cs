using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NvEmbed.Tokenizer.Tokenization.Decoders;
using NvEmbed.Tokenizer.Tokenization.Models;
using NvEmbed.Tokenizer.Tokenization.Normalizers;
using NvEmbed.Tokenizer.Tokenization.PreTokenizers;
using NvEmbed.Tokenizer.Tokenization.Processors;

namespace NvEmbed.Tokenizer.Tokenization;

/// <summary>
/// Reads a Hugging Face tokenizer.json into an <see cref="HfTokenizer"/>. Every component type it does not
/// implement fails the load with a message naming the section, the type and the file.
/// </summary>
internal static class TokenizerJsonLoader
{
    public static HfTokenizer Load(string path)
    {
        byte[] bytes;
        string fullPath;
        TokenizerBinaryCache.Stamp stamp;
        try
        {
            fullPath = Path.GetFullPath(path);
            stamp = TokenizerBinaryCache.Stamp.Of(fullPath);
            if (TokenizerBinaryCache.TryReadBeside(fullPath, stamp) is { } beside)
            {
                return FromCache(path, beside);
            }

            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new TokenizerLoadException(path, $"cannot read the file: {ex.Message}", ex);
        }

        var sha256 = SHA256.HashData(bytes);
        if (TokenizerBinaryCache.TryRead(fullPath, sha256) is { } cached)
        {
            return FromCache(path, cached);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new TokenizerLoadException(path, $"not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var tokenizer = Wrap(path, () => Build(path, Convert.ToHexStringLower(sha256), document.RootElement, null));
            if (tokenizer.Model is BpeModel bpe)
            {
                TokenizerBinaryCache.TryWrite(fullPath, sha256, stamp, document.RootElement, bpe);
            }

            return tokenizer;
        }
    }

    private static HfTokenizer FromCache(string path, TokenizerBinaryCache.Contents cached)
    {
        using var stripped = JsonDocument.Parse(cached.Json, new JsonDocumentOptions { MaxDepth = 256 });
        return Wrap(path, () => Build(path, Convert.ToHexStringLower(cached.Sha256), stripped.RootElement, cached));
    }

    private static HfTokenizer Wrap(string path, Func<HfTokenizer> build)
    {
        try
        {
            return build();
        }
        catch (TokenizerLoadException)
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or KeyNotFoundException or FormatException or ArgumentException or RegexParseException)
        {
            throw new TokenizerLoadException(path, ex.Message, ex);
        }
    }

    private static HfTokenizer Build(string path, string fingerprint, JsonElement root, TokenizerBinaryCache.Contents? cached)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("the top level is not a JSON object");
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in addedTokens.EnumerateArray())
            {
                added.Add(new AddedToken(
                    t.GetProperty("id").GetInt32(),
                    t.GetProperty("content").GetString() ?? throw new InvalidDataException("an added token has no content"),
                    Bool(t, "single_word", false),
                    Bool(t, "lstrip", false),
                    Bool(t, "rstrip", false),
                    Bool(t, "normalized", false),
                    Bool(t, "special", false)));
            }
        }

        var addedVocabulary = new AddedVocabulary(added);
        var normalizer = Optional(root, "normalizer", e => Normalizer(path, e));
        var preTokenizer = Optional(root, "pre_tokenizer", e => PreTokenizer(path, e));
        if (!root.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("there is no \"model\" object");
        }

        var model = Model(path, modelElement, cached);
        var template = Optional(root, "post_processor", e => PostProcessor(path, e, addedVocabulary, model)) ?? SpecialTokenTemplate.Empty;
        var decoder = Optional(root, "decoder", e => Decoder(path, e));
        var capSafe = preTokenizer is not null && IsCapSafe(preTokenizer) && added.All(t => !t.Content.Contains(' ', StringComparison.Ordinal));
        return new HfTokenizer(Path.GetFullPath(path), fingerprint, addedVocabulary, normalizer, preTokenizer, model, template, decoder, capSafe);
    }

    private static bool IsCapSafe(IPreTokenizer preTokenizer) => preTokenizer switch
    {
        SequencePreTokenizer sequence => sequence.Items.Any(IsSplittingAtSpaces) && sequence.Items.All(p => p is not MetaspacePreTokenizer { } m || IsSplittingAtSpaces(m)),
        _ => IsSplittingAtSpaces(preTokenizer),
    };

    private static bool IsSplittingAtSpaces(IPreTokenizer preTokenizer) => preTokenizer switch
    {
        SplitPreTokenizer split => split.UsesLlama3Scanner,
        ByteLevelPreTokenizer byteLevel => byteLevel.UseRegex,
        MetaspacePreTokenizer metaspace => metaspace.Splits,
        BertPreTokenizer or WhitespacePreTokenizer or WhitespaceSplitPreTokenizer => true,
        _ => false,
    };

    private static T? Optional<T>(JsonElement root, string name, Func<JsonElement, T> build)
        where T : class =>
        root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.Object ? build(element) : null;

    private static string TypeOf(string path, JsonElement element, string section) =>
        element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()!
            : throw new TokenizerLoadException(path, $"a {section} has no \"type\"");

    private static TokenizerLoadException Unknown(string path, string section, string type) =>
        new(path, $"the {section} type '{type}' is not supported by NvEmbed's tokenizer");

    private static INormalizer Normalizer(string path, JsonElement e)
    {
        var type = TypeOf(path, e, "normalizer");
        return type switch
        {
            "BertNormalizer" => new BertNormalizer(
                Bool(e, "clean_text", true),
                Bool(e, "handle_chinese_chars", true),
                e.TryGetProperty("strip_accents", out var sa) && sa.ValueKind is JsonValueKind.True or JsonValueKind.False ? sa.GetBoolean() : Bool(e, "lowercase", true),
                Bool(e, "lowercase", true)),
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "StripAccents" => new StripAccentsNormalizer(),
            "Nmt" => new NmtNormalizer(),
            "Strip" => new StripNormalizer(Bool(e, "strip_left", true), Bool(e, "strip_right", true)),
            "Prepend" => new PrependNormalizer(String(e, "prepend")),
            "Replace" => new ReplaceNormalizer(Pattern(e.GetProperty("pattern")), String(e, "content")),
            "Precompiled" => new PrecompiledNormalizer(PrecompiledCharsMap.Parse(Convert.FromBase64String(String(e, "precompiled_charsmap")))),
            "Sequence" => new SequenceNormalizer([.. e.GetProperty("normalizers").EnumerateArray().Select(n => Normalizer(path, n))]),
            _ => throw Unknown(path, "normalizer", type),
        };
    }

    private static IPreTokenizer PreTokenizer(string path, JsonElement e)
    {
        var type = TypeOf(path, e, "pre_tokenizer");
        return type switch
        {
            "Split" => SplitOf(e),
            "ByteLevel" => new ByteLevelPreTokenizer(Bool(e, "add_prefix_space", true), Bool(e, "use_regex", true)),
            "BertPreTokenizer" => new BertPreTokenizer(),
            "Whitespace" => new WhitespacePreTokenizer(),
            "WhitespaceSplit" => new WhitespaceSplitPreTokenizer(),
            "Digits" => new DigitsPreTokenizer(Bool(e, "individual_digits", false)),
            "Punctuation" => new PunctuationPreTokenizer(Behavior(e.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated")),
            "Metaspace" => new MetaspacePreTokenizer(Replacement(e), PrependScheme(e), Bool(e, "split", true)),
            "Sequence" => new SequencePreTokenizer([.. e.GetProperty("pretokenizers").EnumerateArray().Select(p => PreTokenizer(path, p))]),
            _ => throw Unknown(path, "pre_tokenizer", type),
        };
    }

    private static SplitPreTokenizer SplitOf(JsonElement e)
    {
        var pattern = e.GetProperty("pattern");
        var behavior = Behavior(e.GetProperty("behavior").GetString());
        var invert = Bool(e, "invert", false);
        if (pattern.TryGetProperty("Regex", out var regex) && regex.GetString() == Llama3Scanner.Pattern)
        {
            return new SplitPreTokenizer(null, behavior, invert);
        }

        return new SplitPreTokenizer(Pattern(pattern), behavior, invert);
    }

    private static Regex Pattern(JsonElement pattern)
    {
        if (pattern.TryGetProperty("String", out var literal))
        {
            return new Regex(Regex.Escape(literal.GetString() ?? string.Empty), RegexOptions.CultureInvariant);
        }

        if (pattern.TryGetProperty("Regex", out var regex))
        {
            return UnicodeRegex.Create(regex.GetString() ?? string.Empty);
        }

        throw new InvalidDataException("a pattern is neither {\"String\": ...} nor {\"Regex\": ...}");
    }

    private static SplitBehavior Behavior(string? value) => value switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new InvalidDataException($"unknown split behavior '{value}'"),
    };

    private static char Replacement(JsonElement e)
    {
        var replacement = e.TryGetProperty("replacement", out var r) ? r.GetString() ?? "\u2581" : "\u2581";
        return replacement.Length == 1 ? replacement[0] : throw new InvalidDataException($"Metaspace replacement '{replacement}' is not one character");
    }

    private static string PrependScheme(JsonElement e)
    {
        if (e.TryGetProperty("prepend_scheme", out var scheme) && scheme.ValueKind == JsonValueKind.String)
        {
            return scheme.GetString()!;
        }

        return Bool(e, "add_prefix_space", true) ? "always" : "never";
    }

    private static ITokenModel Model(string path, JsonElement e, TokenizerBinaryCache.Contents? cached)
    {
        var type = e.TryGetProperty("type", out var t) ? t.GetString() : e.TryGetProperty("merges", out _) ? "BPE" : null;
        switch (type)
        {
            case "BPE":
            {
                if (e.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
                {
                    throw new InvalidDataException("BPE dropout is random and cannot serve embeddings");
                }

                var options = new BpeOptions(
                    NullableString(e, "unk_token"),
                    NullableString(e, "continuing_subword_prefix"),
                    NullableString(e, "end_of_word_suffix"),
                    Bool(e, "fuse_unk", false),
                    Bool(e, "byte_fallback", false),
                    Bool(e, "ignore_merges", false));
                if (cached is not null)
                {
                    return BpeModel.FromParts(cached.Vocabulary, cached.Merges, cached.ByteIds, cached.ByteLevel, options);
                }

                var vocab = Vocab(e.GetProperty("vocab"));
                var merges = new List<(string, string)>();
                foreach (var merge in e.GetProperty("merges").EnumerateArray())
                {
                    if (merge.ValueKind == JsonValueKind.String)
                    {
                        var s = merge.GetString()!;
                        var space = s.IndexOf(' ', StringComparison.Ordinal);
                        if (space < 0)
                        {
                            throw new InvalidDataException($"merge '{s}' is not two tokens separated by a space");
                        }

                        merges.Add((s[..space], s[(space + 1)..]));
                    }
                    else
                    {
                        merges.Add((merge[0].GetString()!, merge[1].GetString()!));
                    }
                }

                return new BpeModel(vocab, merges, options.UnkToken, options.ContinuingSubwordPrefix, options.EndOfWordSuffix, options.FuseUnk, options.ByteFallback, options.IgnoreMerges);
            }

            case "WordPiece":
                return new WordPieceModel(
                    Vocab(e.GetProperty("vocab")),
                    NullableString(e, "unk_token") ?? "[UNK]",
                    NullableString(e, "continuing_subword_prefix") ?? "##",
                    e.TryGetProperty("max_input_chars_per_word", out var max) ? max.GetInt32() : 100);
            case "Unigram":
            {
                var pieces = new List<(string, double)>();
                foreach (var entry in e.GetProperty("vocab").EnumerateArray())
                {
                    pieces.Add((entry[0].GetString()!, SerdeFloat.Parse(entry[1].GetRawText())));
                }

                int? unkId = e.TryGetProperty("unk_id", out var unk) && unk.ValueKind == JsonValueKind.Number ? unk.GetInt32() : null;
                return new UnigramModel(pieces, unkId, Bool(e, "byte_fallback", false));
            }

            default:
                throw Unknown(path, "model", type ?? "(none)");
        }
    }

    private static Dictionary<string, int> Vocab(JsonElement e)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in e.EnumerateObject())
        {
            vocab[property.Name] = property.Value.GetInt32();
        }

        return vocab;
    }

    private static SpecialTokenTemplate PostProcessor(string path, JsonElement e, AddedVocabulary added, ITokenModel model)
    {
        var type = TypeOf(path, e, "post_processor");
        switch (type)
        {
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (e.TryGetProperty("special_tokens", out var st))
                {
                    foreach (var p in st.EnumerateObject())
                    {
                        specials[p.Name] = [.. p.Value.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32())];
                    }
                }

                var prefix = new List<int>();
                var suffix = new List<int>();
                var seenSequence = false;
                foreach (var piece in e.GetProperty("single").EnumerateArray())
                {
                    if (piece.TryGetProperty("Sequence", out _))
                    {
                        seenSequence = true;
                        continue;
                    }

                    var name = piece.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                    var ids = specials.TryGetValue(name, out var found) ? found : throw new InvalidDataException($"TemplateProcessing names the special token '{name}' but does not define it");
                    (seenSequence ? suffix : prefix).AddRange(ids);
                }

                return new SpecialTokenTemplate([.. prefix], [.. suffix]);
            }

            case "BertProcessing":
            case "RobertaProcessing":
                return new SpecialTokenTemplate([e.GetProperty("cls")[1].GetInt32()], [e.GetProperty("sep")[1].GetInt32()]);
            case "ByteLevel":
                return SpecialTokenTemplate.Empty;
            case "Sequence":
            {
                var result = SpecialTokenTemplate.Empty;
                foreach (var p in e.GetProperty("processors").EnumerateArray())
                {
                    result = result.Then(PostProcessor(path, p, added, model));
                }

                return result;
            }

            default:
                throw Unknown(path, "post_processor", type);
        }
    }

    private static IDecoder Decoder(string path, JsonElement e)
    {
        var type = TypeOf(path, e, "decoder");
        return type switch
        {
            "ByteLevel" => new ByteLevelDecoder(),
            "WordPiece" => new WordPieceDecoder(NullableString(e, "prefix") ?? "##", Bool(e, "cleanup", true)),
            "Metaspace" => new MetaspaceDecoder(Replacement(e), PrependScheme(e)),
            "Replace" => new ReplaceDecoder(e.GetProperty("pattern").GetProperty("String").GetString()!, String(e, "content")),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(String(e, "content")[0], e.GetProperty("start").GetInt32(), e.GetProperty("stop").GetInt32()),
            "BPEDecoder" => new BpeDecoder(NullableString(e, "suffix") ?? "</w>"),
            "Sequence" => new SequenceDecoder([.. e.GetProperty("decoders").EnumerateArray().Select(d => Decoder(path, d))]),
            _ => throw Unknown(path, "decoder", type),
        };
    }

    private static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : fallback;

    private static string String(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new InvalidDataException($"\"{name}\" is null");

    private static string? NullableString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
