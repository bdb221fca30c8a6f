using NvEmbed.AppHost;

// `dotnet run --project NvEmbed.AppHost` starts the topology (NvEmbedTopology.cs) and the Aspire dashboard;
// `-- --publisher manifest --output-path ../aspire-manifest.json` writes its deployment manifest instead.
var builder = DistributedApplication.CreateBuilder(args);
NvEmbedTopology.Add(builder);
builder.Build().Run();
