using NvEmbed.ServiceDefaults;
using NvEmbed.Tokenizer.Cli;
using NvEmbed.Tokenizer.Extensions;

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
builder.AddTokenizerServices();

var app = builder.Build();
app.MapDefaultEndpoints();
try
{
    app.MapTokenizerGrpc();
}
catch (InvalidOperationException ex)
{
    // No tokenizer, or one that cannot be loaded: say which and why, and exit with an error rather than a crash dump.
    Console.Error.WriteLine(ex.Message);
    return 1;
}

app.Run();
return 0;
