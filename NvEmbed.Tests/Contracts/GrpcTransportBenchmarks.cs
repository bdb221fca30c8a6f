using System.Diagnostics;
using Grpc.Net.Client;
using NvEmbed.Tests.Contracts.Echo.V1;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Contracts;

/// <summary>
/// Latency, throughput and allocations of gRPC calls over loopback with NvEmbed's wiring (grpc-dotnet client and server
/// in this process). Run with <c>NVEMBED_GRPC_BENCH=1 dotnet test -c Release --filter GrpcTransportBenchmarks</c>.
/// </summary>
public class GrpcTransportBenchmarks(ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task SmallCalls_OneCaller_Latency()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        await RunAsync(channel, new EchoRequest { Text = "warm-up" }, calls: 2_000, concurrency: 1);

        // Act
        var result = await RunAsync(channel, new EchoRequest { Text = "x" }, calls: 10_000, concurrency: 1);

        // Assert
        output.WriteLine($"small calls, 1 caller: p50 {result.P50Ms * 1000:F0} µs, p99 {result.P99Ms * 1000:F0} µs, {result.Calls / result.Elapsed.TotalSeconds:F0} calls/s, " +
            $"{result.AllocatedBytes / result.Calls} bytes allocated per call (client + server)");
        Assert.True(result.P50Ms > 0);
    }

    [BenchmarkFact]
    public async Task SmallCalls_Concurrent_CallsPerSecondAndLatency()
    {
        // Arrange
        await using var server = await GrpcTestServer.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Address);
        await RunAsync(channel, new EchoRequest { Text = "warm-up" }, calls: 2_000, concurrency: 64);

        // Act
        var result = await RunAsync(channel, new EchoRequest { Text = "x" }, calls: 20_000, concurrency: 64);

        // Assert
        output.WriteLine($"small calls, 64 callers: {result.Calls / result.Elapsed.TotalSeconds:F0} calls/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, " +
            $"{result.AllocatedBytes / result.Calls} bytes allocated per call (client + server)");
        Assert.True(result.P50Ms > 0);
    }

    [BenchmarkFact]
    public async Task LargeMessages_BothWays_MegabytesPerSecondAndAllocations()
    {
        // Arrange
        const int size = 4 * 1024 * 1024;
        await using var server = await GrpcTestServer.StartAsync(o => o.MaxReceiveMessageSize = 2 * size);
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 2 * size });
        var request = new EchoRequest { Payload = GrpcTestServer.RandomPayload(size, seed: 9) };
        await RunAsync(channel, request, calls: 20, concurrency: 4);

        // Act
        var result = await RunAsync(channel, request, calls: 200, concurrency: 8);

        // Assert: payload bytes moved = 2 × size per call (request and reply).
        var moved = 2.0 * size * result.Calls;
        output.WriteLine($"4 MiB echo: {moved / result.Elapsed.TotalSeconds / (1024 * 1024):F0} MiB/s, p50 {result.P50Ms:F1} ms, " +
            $"allocated {result.AllocatedBytes / (double)(size * result.Calls):F2} × the payload per call (client + server, request + reply)");
        Assert.True(result.P50Ms > 0);
    }

    private static async Task<(int Calls, TimeSpan Elapsed, double P50Ms, double P99Ms, long AllocatedBytes)> RunAsync(
        GrpcChannel channel, EchoRequest request, int calls, int concurrency)
    {
        var client = new Echo.V1.Echo.EchoClient(channel);
        var latencies = new double[calls];
        var next = -1;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < calls)
            {
                var started = Stopwatch.GetTimestamp();
                await client.SayAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        });
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(5));
        watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Array.Sort(latencies);
        return (calls, watch.Elapsed, latencies[calls / 2], latencies[(int)(calls * 0.99)], allocated);
    }
}
