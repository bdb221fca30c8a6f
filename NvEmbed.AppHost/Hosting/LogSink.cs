namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// Writes the services' output lines, each prefixed with the service's name (coloured on a
/// terminal), and the AppHost's own messages.
/// </summary>
public sealed class LogSink
{
    private static readonly ConsoleColor[] s_colors =
    [
        ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Magenta, ConsoleColor.Yellow, ConsoleColor.Blue, ConsoleColor.DarkCyan,
    ];

    private readonly Action<string>? _writer;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ConsoleColor> _colorByName = new(StringComparer.Ordinal);
    private readonly bool _color;

    /// <summary>Writes to the console, or to <paramref name="writer"/> (one call per line) when given.</summary>
    public LogSink(Action<string>? writer = null)
    {
        _writer = writer;
        _color = writer is null && !Console.IsOutputRedirected && System.Environment.GetEnvironmentVariable("NO_COLOR") is null;
    }

    /// <summary>Writes one line of service <paramref name="source"/>'s output.</summary>
    public void Line(string source, string line)
    {
        if (_writer is not null)
        {
            _writer($"[{source}] {line}");
            return;
        }

        lock (_lock)
        {
            if (_color)
            {
                if (!_colorByName.TryGetValue(source, out var color))
                {
                    color = s_colors[_colorByName.Count % s_colors.Length];
                    _colorByName[source] = color;
                }

                Console.ForegroundColor = color;
                Console.Write($"[{source}] ");
                Console.ResetColor();
                Console.WriteLine(line);
            }
            else
            {
                Console.WriteLine($"[{source}] {line}");
            }
        }
    }

    /// <summary>Writes a message of the AppHost itself.</summary>
    public void Info(string message) => Line("apphost", message);
}
