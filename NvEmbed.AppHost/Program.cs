using NvEmbed.AppHost;

// `dotnet run --project NvEmbed.AppHost` starts the topology (NvEmbedTopology.cs) and the Aspire dashboard
// (NVEMBED_DASHBOARD=false leaves the dashboard out); `-- --publisher manifest --output-path ../aspire-manifest.json`
// writes its deployment manifest instead.
var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    Args = args,
    DisableDashboard = string.Equals(Environment.GetEnvironmentVariable("NVEMBED_DASHBOARD"), "false", StringComparison.OrdinalIgnoreCase),
});
NvEmbedTopology.Add(builder);
builder.WithFailureReports();
builder.Build().Run();
