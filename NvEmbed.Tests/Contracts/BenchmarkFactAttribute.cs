namespace NvEmbed.Tests.Contracts;

/// <summary>A test that runs only when <c>NVEMBED_GRPC_BENCH=1</c>: measurements too slow for the default run.</summary>
public sealed class BenchmarkFactAttribute : FactAttribute
{
    public const string Variable = "NVEMBED_GRPC_BENCH";

    public BenchmarkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"Benchmark: set {Variable}=1 to run.";
        }
    }
}
