using NvEmbed.ServiceDefaults;
using NvEmbed.Tokenizer.Cli;

if (args is ["encode", .. var encodeArgs])
{
    return EncodeCommand.Run(encodeArgs, Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
}

if (args is ["bench", .. var benchArgs])
{
    return BenchCommand.Run(benchArgs, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
return 0;
