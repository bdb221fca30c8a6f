namespace NvEmbed.Tests;

public class SmokeTests
{
    [Fact]
    public void Contracts_GrpcStatusCodes_HaveSpecValues()
    {
        Assert.Equal(8, (int)NvEmbed.Contracts.Grpc.GrpcStatusCode.ResourceExhausted);
        Assert.Equal(14, (int)NvEmbed.Contracts.Grpc.GrpcStatusCode.Unavailable);
    }
}
