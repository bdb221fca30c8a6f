using System.Globalization;

namespace NvEmbed.InferenceWorker.Cli;

/// <summary>Parsed <c>--name value</c> options, <c>--flag</c> switches and positional arguments.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Arguments that are not options.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Parses <paramref name="args"/>; <c>--name=value</c> and <c>--name value</c> both work; a name not followed by a value is a switch.</summary>
    public static CommandArguments Parse(ReadOnlySpan<string> args)
    {
        var parsed = new CommandArguments();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                parsed.Positional.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                parsed._options[arg[2..eq]] = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                parsed._options[arg[2..]] = args[++i];
            }
            else
            {
                parsed._options[arg[2..]] = null;
            }
        }

        return parsed;
    }

    /// <summary>True when <c>--name</c> was given (with or without a value).</summary>
    public bool Has(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>The value of <c>--name</c>, or null.</summary>
    public string? Get(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>The value of <c>--name</c>; fails when missing.</summary>
    public string Require(string name) =>
        Get(name) ?? throw new CommandLineException($"--{name} <value> is required.");

    /// <summary>An integer option, or <paramref name="fallback"/>.</summary>
    public int GetInt(string name, int fallback)
    {
        var value = Get(name);
        if (value is null)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0
            ? parsed
            : throw new CommandLineException($"--{name} must be a non-negative integer, not '{value}'.");
    }

    /// <summary>A positive number option, or <paramref name="fallback"/>.</summary>
    public float GetFloat(string name, float fallback)
    {
        var value = Get(name);
        if (value is null)
        {
            return fallback;
        }

        return float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > 0
            ? parsed
            : throw new CommandLineException($"--{name} must be a positive number, not '{value}'.");
    }

    /// <summary>Fails on options the command did not read (typos).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new CommandLineException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }
}
