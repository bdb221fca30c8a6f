namespace NvEmbed.Tokenizer.Tokenization.Models;

/// <summary>Helpers shared by the models.</summary>
internal static class VocabArrays
{
    /// <summary>id → token; ids missing from the vocabulary map to null.</summary>
    public static string[] Invert(Dictionary<string, int> vocab)
    {
        var max = -1;
        foreach (var id in vocab.Values)
        {
            max = Math.Max(max, id);
        }

        var result = new string[max + 1];
        foreach (var (token, id) in vocab)
        {
            if (id < 0)
            {
                throw new InvalidDataException($"the vocabulary gives '{token}' the negative id {id}");
            }

            result[id] = token;
        }

        return result;
    }
}
