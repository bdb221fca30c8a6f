namespace NvEmbed.Tests.Contracts;

/// <summary>One @grpc/grpc-js server (node process) shared by the tests of a class.</summary>
public sealed class NodeGrpcServerFixture : IAsyncLifetime
{
    public NodeGrpcServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await NodeGrpcServer.StartAsync(TimeSpan.FromSeconds(60));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
