using NvEmbed.AppHost;
using NvEmbed.AppHost.Hosting;

// `dotnet run --project NvEmbed.AppHost` starts the whole topology (see NvEmbedTopology.cs);
// `-- --publisher manifest --output-path aspire-manifest.json` writes its deployment manifest instead.
var builder = DistributedApplicationBuilder.Create(args);
NvEmbedTopology.Add(builder);
return await builder.Build().RunAsync();
