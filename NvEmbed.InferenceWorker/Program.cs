using NvEmbed.InferenceWorker.Cli;
using NvEmbed.InferenceWorker.Extensions;
using NvEmbed.ServiceDefaults;

// `dotnet NvEmbed.InferenceWorker.dll <command> ...` runs a command line tool (build, create-model, embed);
// with no command it serves inference.v1 over gRPC.
if (args.Length > 0 && WorkerCommandLine.IsCommand(args[0]))
{
    return await WorkerCommandLine.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferenceWorkerServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInferenceWorker();
await app.RunAsync();
return 0;
