using System.Text;

namespace NvEmbed.Tokenizer.Tokenization.Decoders;

/// <summary>The ByteLevel decoder: maps alphabet characters back to bytes and reads them as UTF-8 (invalid bytes become U+FFFD).</summary>
public sealed class ByteLevelDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> Decode(List<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            var mapped = true;
            foreach (var c in token)
            {
                if (ByteLevelAlphabet.ToByte(c) < 0)
                {
                    mapped = false;
                    break;
                }
            }

            if (mapped)
            {
                foreach (var c in token)
                {
                    bytes.Add((byte)ByteLevelAlphabet.ToByte(c));
                }
            }
            else
            {
                // NOTE: Hugging Face keeps a token with a character outside the alphabet as its own UTF-8.
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }

        return [Encoding.UTF8.GetString(bytes.ToArray())];
    }
}
