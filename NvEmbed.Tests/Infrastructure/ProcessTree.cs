using System.Diagnostics;
using System.Globalization;

namespace NvEmbed.Tests.Infrastructure;

/// <summary>Processes by parent, from /proc: how tests find (and check) the processes their own app started.</summary>
public static class ProcessTree
{
    /// <summary>The ids of <paramref name="root"/>'s descendants (children, grandchildren, ...).</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var byParent = Snapshot().ToLookup(p => p.ParentId, p => p.Id);
        var found = new List<int>();
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var parent))
        {
            foreach (var child in byParent[parent])
            {
                found.Add(child);
                pending.Push(child);
            }
        }

        return found;
    }

    /// <summary>The processes whose command line contains <paramref name="text"/>, with their descendants.</summary>
    public static IReadOnlyList<int> WithCommandLine(string text)
    {
        var roots = Snapshot().Where(p => p.CommandLine.Contains(text, StringComparison.Ordinal)).Select(p => p.Id).ToList();
        return [.. roots.Concat(roots.SelectMany(Descendants)).Distinct()];
    }

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The one child of <paramref name="pid"/> (e.g. the service under its <c>dotnet run</c>), or <paramref name="pid"/> itself when it has none.</summary>
    public static int Leaf(int pid)
    {
        var children = Descendants(pid);
        return children.Count == 0 ? pid : children[^1];
    }

    /// <summary>Resident set size of <paramref name="pid"/> in bytes (VmRSS), or 0 when it is gone.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Gone.
        }

        return 0;
    }

    private static List<(int Id, int ParentId, string CommandLine)> Snapshot()
    {
        var processes = new List<(int, int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                processes.Add((pid, int.Parse(fields[1], CultureInfo.InvariantCulture), commandLine));
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return processes;
    }
}
