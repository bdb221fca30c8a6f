using NvEmbed.Gateway.Extensions;
using NvEmbed.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
// The gateway's own health and metrics live under /gateway: every other path belongs to the Api.
app.MapDefaultEndpoints("/gateway");
app.MapGateway();
await app.RunAsync();
