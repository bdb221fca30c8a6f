using System.Globalization;

namespace NvEmbed.Tests.Infrastructure;

/// <summary>Reads values out of Prometheus text exposition.</summary>
public static class PrometheusText
{
    /// <summary>The sum of every series of family member <paramref name="name"/> (all label sets), 0 when absent.</summary>
    public static double Sum(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length
                || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var value = line[(line.LastIndexOf(' ') + 1)..];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>Reads <paramref name="name"/> from the Prometheus endpoint <paramref name="metricsUrl"/>.</summary>
    public static async Task<double> ReadAsync(Uri metricsUrl, string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return Sum(await http.GetStringAsync(metricsUrl), name);
    }
}
