namespace NvEmbed.AppHost.Hosting;

/// <summary>A service's use of another's endpoint: exposed to it as <c>services__&lt;name&gt;__&lt;endpoint&gt;__&lt;replica&gt;</c>.</summary>
public sealed record EndpointReference(ProjectResource Target, string EndpointName);
