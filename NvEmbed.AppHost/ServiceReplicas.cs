namespace NvEmbed.AppHost;

/// <summary>
/// The replicas of one service, each its own resource (<c>tokenizer-0</c>, <c>tokenizer-1</c>, ...; just
/// <c>tokenizer</c> when there is one), so every replica has its own address: see the AppHost section of the README.
/// </summary>
/// <param name="Service">The service name used in <c>services__&lt;service&gt;__&lt;endpoint&gt;__&lt;i&gt;</c>.</param>
/// <param name="Replicas">The replicas, in index order.</param>
public sealed record ServiceReplicas(string Service, IReadOnlyList<IResourceBuilder<ProjectResource>> Replicas);
