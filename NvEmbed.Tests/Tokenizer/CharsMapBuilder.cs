using System.Buffers.Binary;
using System.Text;

namespace NvEmbed.Tests.Tokenizer;

/// <summary>
/// Test-side writer of SentencePiece precompiled charsmaps: a byte trie of the UTF-8 keys laid out as a darts-clone
/// double array (first-fit bases, so children of different nodes interleave as in real files), followed by the
/// NUL-terminated replacement strings. Independent of the engine's reader, which only looks keys up.
/// </summary>
public static class CharsMapBuilder
{
    private sealed class Node
    {
        public SortedDictionary<byte, Node> Children { get; } = [];

        public int? Value { get; set; }
    }

    /// <summary>Builds the binary charsmap for <paramref name="map"/> (key → replacement; keys non-empty).</summary>
    public static byte[] Build(IReadOnlyDictionary<string, string> map)
    {
        var root = new Node();
        var blob = new List<byte>();
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var b in Encoding.UTF8.GetBytes(key))
            {
                if (!node.Children.TryGetValue(b, out var child))
                {
                    child = new Node();
                    node.Children[b] = child;
                }

                node = child;
            }

            node.Value = blob.Count;
            blob.AddRange(Encoding.UTF8.GetBytes(value));
            blob.Add(0);
        }

        var units = new List<uint> { 0 };
        var used = new List<bool> { true };
        Place(root, 0, units, used);
        while (units.Count % 256 != 0)
        {
            units.Add(0);
        }

        var result = new byte[4 + (units.Count * 4) + blob.Count];
        BinaryPrimitives.WriteUInt32LittleEndian(result, (uint)(units.Count * 4));
        for (var i = 0; i < units.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4 + (i * 4)), units[i]);
        }

        blob.CopyTo(result, 4 + (units.Count * 4));
        return result;
    }

    // Places the children of the node stored at <position>: finds a base whose slots base^label are all free
    // (label 0 = the value slot when the node ends a key), writes the node's offset, then recurses.
    private static void Place(Node node, int position, List<uint> units, List<bool> used)
    {
        var labels = node.Children.Keys.Select(b => (int)b).ToList();
        if (node.Value is not null)
        {
            labels.Insert(0, 0);
        }

        if (labels.Count == 0)
        {
            return;
        }

        var nodeBase = 1;
        while (labels.Any(l => IsUsed(used, nodeBase ^ l)) || (nodeBase ^ position) >= (1 << 21))
        {
            nodeBase++;
        }

        foreach (var l in labels)
        {
            Ensure(units, used, nodeBase ^ l);
            used[nodeBase ^ l] = true;
        }

        var offset = (uint)(nodeBase ^ position);
        units[position] = (units[position] & 0x3FFu) | (offset << 10) | (node.Value is not null ? 1u << 8 : 0u);
        if (node.Value is { } value)
        {
            units[nodeBase] = (uint)value | 0x80000000u;
        }

        foreach (var (label, child) in node.Children)
        {
            units[nodeBase ^ label] = label;
        }

        foreach (var (label, child) in node.Children)
        {
            Place(child, nodeBase ^ label, units, used);
        }
    }

    private static bool IsUsed(List<bool> used, int slot) => slot < used.Count && used[slot];

    private static void Ensure(List<uint> units, List<bool> used, int slot)
    {
        while (units.Count <= slot)
        {
            units.Add(0);
            used.Add(false);
        }
    }
}
