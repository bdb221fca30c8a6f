using NvEmbed.Api.Endpoints;
using NvEmbed.Api.Extensions;
using NvEmbed.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApiServices();

var app = builder.Build();
app.UseApiErrors();
app.MapDefaultEndpoints();
app.MapNimApi();
app.MapOpenAiApi();
app.MapTeiApi();
app.MapKServeGrpc();
app.Run();
