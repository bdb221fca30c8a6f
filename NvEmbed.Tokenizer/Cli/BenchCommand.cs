using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NvEmbed.Tokenizer.Tokenization;
using NvEmbed.Tokenizer.Tokenization.PreTokenizers;

namespace NvEmbed.Tokenizer.Cli;

/// <summary>
/// <c>bench --tokenizer &lt;tokenizer.json&gt; [--corpus name=file.jsonl ...] [--seconds N] [--js-dir DIR]</c>:
/// times NvEmbed's engine and Hugging Face tokenizers (node, npm tokenizers) on the same corpora, one core each,
/// in one run, and prints tokens/s and MB/s side by side; for the Llama 3 pattern also the pre-tokenizer split
/// by the hand-written scanner against .NET's Regex (compiled and non-backtracking). Without <c>--corpus</c> it
/// builds the "english" and "multilingual" corpora with NvEmbed.Tests/js/tokenizer/corpus.js.
/// </summary>
public static class BenchCommand
{
    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? path = null;
        string? jsDir = null;
        var seconds = 5.0;
        var corpora = new List<(string Name, string File)>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tokenizer" when i + 1 < args.Length:
                    path = args[++i];
                    break;
                case "--js-dir" when i + 1 < args.Length:
                    jsDir = args[++i];
                    break;
                case "--seconds" when i + 1 < args.Length:
                    seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--corpus" when i + 1 < args.Length:
                    var spec = args[++i];
                    var eq = spec.IndexOf('=', StringComparison.Ordinal);
                    corpora.Add(eq > 0 ? (spec[..eq], spec[(eq + 1)..]) : (Path.GetFileNameWithoutExtension(spec), spec));
                    break;
                default:
                    error.WriteLine($"bench: unknown or incomplete option '{args[i]}'.");
                    error.WriteLine("usage: bench --tokenizer <tokenizer.json> [--corpus name=file.jsonl ...] [--seconds N] [--js-dir NvEmbed.Tests/js]");
                    return 2;
            }
        }

        path ??= TokenizerLocation.FromEnvironment();
        jsDir ??= FindJsDir();
        if (path is null || jsDir is null)
        {
            error.WriteLine("bench: needs --tokenizer and NvEmbed.Tests/js (with npm packages installed; pass --js-dir when not run from the repository).");
            return 2;
        }

        var tokenizer = HfTokenizer.Load(path);
        var temp = Directory.CreateTempSubdirectory("nvembed-bench-");
        try
        {
            if (corpora.Count == 0)
            {
                foreach (var set in new[] { "english", "multilingual" })
                {
                    var file = Path.Combine(temp.FullName, set + ".jsonl");
                    var result = RunNode(jsDir, ["tokenizer/corpus.js", "--set", set], null, file);
                    if (result.ExitCode != 0)
                    {
                        error.WriteLine($"bench: corpus.js failed: {result.Error}");
                        return 1;
                    }

                    corpora.Add((set, file));
                }
            }

            output.WriteLine($"tokenizer: {tokenizer.Path} ({tokenizer.Model.Type}, vocab {tokenizer.VocabSize}); {Environment.ProcessorCount} cores visible, each engine on one thread; {seconds:0.#} s per measurement");
            output.WriteLine();
            output.WriteLine("Rates are per second of CPU time of each process (wall-clock rates in brackets): on a shared machine the");
            output.WriteLine("wall clock counts other people's work too. Loading and JSON lines are not counted here; the README's");
            output.WriteLine("whole-process commands count them. 'differ': texts whose ids are not NvEmbed's (NvEmbed vs Hugging Face:");
            output.WriteLine("total token count of a pass; ML.NET Tiktoken vs NvEmbed: per text).");
            output.WriteLine();
            output.WriteLine($"{"corpus",-13} {"texts",6} {"MB",6} | {"engine",-16} {"tok/s",11} {"MB/s",6} {"(wall tok/s)",13} | {"vs HF",6} | differ");
            var tiktoken = TiktokenComparison.TryCreate(tokenizer);
            foreach (var (name, file) in corpora)
            {
                var texts = File.ReadLines(file).Where(l => l.Length > 0).Select(l => JsonLines.ReadStringProperty(Encoding.UTF8.GetBytes(l), "text")).ToList();
                var ours = TimeEngine(tokenizer, texts, seconds);
                var reference = RunNode(jsDir, ["tokenizer/bench.js", "--tokenizer", tokenizer.Path, "--seconds", seconds.ToString(CultureInfo.InvariantCulture)], file, null);
                if (reference.ExitCode != 0)
                {
                    error.WriteLine($"bench: bench.js failed: {reference.Error}");
                    return 1;
                }

                using var json = JsonDocument.Parse(reference.Output);
                var hf = json.RootElement;
                var hfTokens = hf.GetProperty("tokens").GetDouble();
                var hfCpu = hf.GetProperty("cpuSeconds").GetDouble();
                var hfRate = hfTokens / hfCpu;
                var hfSame = Math.Abs(hfTokens / hf.GetProperty("passes").GetDouble() - ours.TokensPerPass) < 0.5;
                var megabytes = ours.Bytes / 1e6;
                var bytesPerToken = ours.Bytes / ours.TokensPerPass;
                Row(output, $"{name,-13} {texts.Count,6} {megabytes,6:0.00}", "NvEmbed", ours.TokensPerSecond, bytesPerToken, ours.WallTokensPerSecond, ours.TokensPerSecond / hfRate, (hfSame ? "same tokens as HF" : "TOKEN COUNT DIFFERS FROM HF") + string.Create(CultureInfo.InvariantCulture, $"; {ours.AllocatedPerToken:0.00} B allocated per token"));
                Row(output, string.Empty, "Hugging Face", hfRate, bytesPerToken, hfTokens / hf.GetProperty("seconds").GetDouble(), 1, string.Empty);
                if (tiktoken is not null)
                {
                    var (rate, wall) = tiktoken.Time(texts, seconds);
                    var differing = tiktoken.CountMismatches(texts);
                    Row(output, string.Empty, "ML.NET Tiktoken", rate, bytesPerToken, wall, rate / hfRate, string.Create(CultureInfo.InvariantCulture, $"{differing} of {texts.Count} texts"));
                }
            }

            if (tokenizer.UsesFastPath)
            {
                output.WriteLine();
                output.WriteLine("Llama 3 pre-tokenizer split (pieces per CPU second over the last corpus, one thread):");
                var texts = File.ReadLines(corpora[^1].File).Where(l => l.Length > 0).Select(l => JsonLines.ReadStringProperty(Encoding.UTF8.GetBytes(l), "text")).ToList();
                CompareSplitters(texts, seconds, output);
            }

            return 0;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static void Row(TextWriter output, string corpus, string engine, double tokensPerSecond, double bytesPerToken, double wallTokensPerSecond, double versusHf, string differ) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{corpus,-27} | {engine,-16} {tokensPerSecond,11:N0} {tokensPerSecond * bytesPerToken / 1e6,6:0.00} {"(" + wallTokensPerSecond.ToString("N0", CultureInfo.InvariantCulture) + ")",13} | {versusHf,5:0.00}x | {differ}"));

    private sealed record EngineTiming(double TokensPerSecond, double WallTokensPerSecond, double TokensPerPass, long Bytes, double AllocatedPerToken);

    private static EngineTiming TimeEngine(HfTokenizer tokenizer, List<string> texts, double seconds)
    {
        var buffer = new TokenBuffer(8192);
        long bytes = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
        long Pass()
        {
            long tokens = 0;
            foreach (var text in texts)
            {
                tokenizer.Encode(text, buffer, EncodeSettings.Default);
                tokens += buffer.Count;
            }

            return tokens;
        }

        var perPass = Pass();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        long total = 0;
        var passes = 0;
        while (passes == 0 || stopwatch.Elapsed.TotalSeconds < seconds)
        {
            total += Pass();
            passes++;
        }

        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return new EngineTiming(total / cpu, total / elapsed, perPass, bytes, (double)allocated / total);
    }

    private static void CompareSplitters(List<string> texts, double seconds, TextWriter output)
    {
        var compiled = new Regex(Llama3Scanner.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        // NOTE: RegexOptions.NonBacktracking cannot run this pattern: it rejects the negative lookahead of \s+(?!\S).
        var scannerPieces = new List<(int, int)>();
        var differing = 0;
        foreach (var text in texts)
        {
            scannerPieces.Clear();
            for (var i = 0; i < text.Length;)
            {
                var end = Llama3Scanner.NextEnd(text, i);
                scannerPieces.Add((i, end));
                i = end;
            }

            var k = 0;
            var same = true;
            foreach (var m in compiled.EnumerateMatches(text))
            {
                same &= k < scannerPieces.Count && scannerPieces[k] == (m.Index, m.Index + m.Length);
                k++;
            }

            if (!same || k != scannerPieces.Count)
            {
                differing++;
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"hand-written scanner",-24} {Time(() => { long n = 0; foreach (var t in texts) { for (var i = 0; i < t.Length; i = Llama3Scanner.NextEnd(t, i)) { n++; } } return n; }, seconds),14:N0} pieces/s  (the reference for exactness)"));
        var rate = Time(() => { long n = 0; foreach (var t in texts) { foreach (var m in compiled.EnumerateMatches(t)) { n++; } } return n; }, seconds);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"Regex (Compiled)",-24} {rate,14:N0} pieces/s  texts split differently from the scanner: {differing} of {texts.Count}"));
        output.WriteLine("  Regex (NonBacktracking)  not applicable: .NET rejects the pattern's negative lookahead (?!\\S)");
    }

    private static double Time(Func<long> pass, double seconds)
    {
        pass();
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        long total = 0;
        var passes = 0;
        while (passes == 0 || stopwatch.Elapsed.TotalSeconds < seconds / 2)
        {
            total += pass();
            passes++;
        }

        return total / (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
    }

    private static (int ExitCode, string Output, string Error) RunNode(string jsDir, IReadOnlyList<string> args, string? stdinFile, string? stdoutFile)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = jsDir,
            RedirectStandardInput = stdinFile is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // One core for the reference: Rayon's pool and libuv's pool get one thread each.
        info.Environment["RAYON_NUM_THREADS"] = "1";
        info.Environment["TOKENIZERS_PARALLELISM"] = "false";
        info.Environment["UV_THREADPOOL_SIZE"] = "1";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdinFile is not null)
        {
            using (var input = File.OpenRead(stdinFile))
            {
                input.CopyTo(process.StandardInput.BaseStream);
            }

            process.StandardInput.Close();
        }

        string stdout;
        if (stdoutFile is not null)
        {
            using var file = File.Create(stdoutFile);
            process.StandardOutput.BaseStream.CopyTo(file);
            stdout = string.Empty;
        }
        else
        {
            stdout = process.StandardOutput.ReadToEnd();
        }

        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    private static string? FindJsDir()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "NvEmbed.Tests", "js");
                if (File.Exists(Path.Combine(candidate, "tokenizer", "bench.js")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
