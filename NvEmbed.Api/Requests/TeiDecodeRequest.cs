using System.Text.Json;

namespace NvEmbed.Api.Requests;

/// <summary>A TEI POST /decode body: <c>ids</c> is a list of ids or a list of such lists.</summary>
/// <param name="Ids">One id list per text.</param>
/// <param name="Batched">True when <c>ids</c> was a list of lists (the answer is then a list of strings).</param>
/// <param name="SkipSpecialTokens">Leave special tokens out of the text (TEI's default true).</param>
public sealed record TeiDecodeRequest(int[][] Ids, bool Batched, bool SkipSpecialTokens)
{
    /// <summary>Parses and checks <paramref name="document"/>.</summary>
    public static TeiDecodeRequest Parse(JsonDocument document)
    {
        var root = FieldReader.RequireObject(document);
        int[][]? ids = null;
        var batched = false;
        var skip = true;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("ids"))
            {
                if (value.ValueKind != JsonValueKind.Array)
                {
                    throw FieldReader.Error("list_type", "Input should be a valid list", value, FieldReader.Loc("ids"));
                }

                batched = value.GetArrayLength() > 0 && value[0].ValueKind == JsonValueKind.Array;
                ids = batched ? ReadBatch(value) : [ReadIds(value, "ids")];
            }
            else if (property.NameEquals("skip_special_tokens"))
            {
                skip = value.ValueKind == JsonValueKind.Null || FieldReader.Boolean(value, FieldReader.Loc("skip_special_tokens"));
            }
            else
            {
                throw FieldReader.Extra(property);
            }
        }

        return ids is null ? throw FieldReader.Missing(root, "ids") : new TeiDecodeRequest(ids, batched, skip);
    }

    private static int[][] ReadBatch(JsonElement value)
    {
        var result = new int[value.GetArrayLength()][];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array)
            {
                throw FieldReader.Error("list_type", "Input should be a valid list", item, FieldReader.Loc("ids", i));
            }

            result[i] = ReadIds(item, "ids", i);
            i++;
        }

        return result;
    }

    private static int[] ReadIds(JsonElement list, string field, int? outer = null)
    {
        var ids = new int[list.GetArrayLength()];
        var i = 0;
        foreach (var item in list.EnumerateArray())
        {
            var loc = outer is { } o ? FieldReader.Loc(field, o, i) : FieldReader.Loc(field, i);
            var id = FieldReader.Integer(item, loc);
            if (id < 0)
            {
                throw FieldReader.Error("greater_than_equal", "Input should be greater than or equal to 0", item, loc);
            }

            ids[i++] = id;
        }

        return ids;
    }
}
