using NvEmbed.ServiceDefaults.Hosting;

namespace NvEmbed.Tests.ServiceDefaults;

public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(5, 5, 300 * MiB, 100 * MiB, true)] // idle, 200 MiB above the floor: trim
    [InlineData(5, 9, 300 * MiB, 100 * MiB, false)] // collections ran: busy, the GC is at work
    [InlineData(5, 5, 150 * MiB, 100 * MiB, false)] // idle, only 50 MiB above the floor: not worth it
    public void ShouldTrim_IdleAndGrowth_TrimsOnlyWhenBoth(int previous, int now, long committed, long floor, bool expected)
    {
        Assert.Equal(expected, IdleMemoryTrimmer.ShouldTrim(previous, now, committed, floor));
    }
}
