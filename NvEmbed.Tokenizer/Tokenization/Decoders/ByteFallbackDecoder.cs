using System.Globalization;
using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The ByteFallback decoder: runs of &lt;0xXX&gt; tokens become the UTF-8 text they spell (U+FFFD per byte when invalid).</summary>
public sealed class ByteFallbackDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var output = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token.EndsWith('>')
                && byte.TryParse(token.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
            {
                pending.Add(b);
                continue;
            }

            Flush();
            output.Add(token);
        }

        Flush();
        return output;

        void Flush()
        {
            if (pending.Count == 0)
            {
                return;
            }

            var bytes = pending.ToArray();
            try
            {
                output.Add(new UTF8Encoding(false, true).GetString(bytes));
            }
            catch (DecoderFallbackException)
            {
                for (var i = 0; i < bytes.Length; i++)
                {
                    output.Add("\uFFFD");
                }
            }

            pending.Clear();
        }
    }
}
