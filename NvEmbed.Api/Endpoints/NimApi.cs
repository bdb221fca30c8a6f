using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NvEmbed.Api.Clients;
using NvEmbed.Api.Errors;
using NvEmbed.Api.Models;
using NvEmbed.Api.Options;
using NvEmbed.ServiceDefaults;

namespace NvEmbed.Api.Endpoints;

/// <summary>NIM's service routes: health (v1 and Triton-style v2), metadata, version, license and metrics.</summary>
public static class NimApi
{
    /// <summary>Shown by /v1/license when the model directory has no LICENSE file.</summary>
    private const string DefaultLicense =
        "NvEmbed is open source software. The served model's own license applies to its weights; " +
        "place it as LICENSE in the model directory to have it shown here.\n";

    /// <summary>This build's version, without the source revision.</summary>
    public static string ProductVersion { get; } =
        (typeof(NimApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "1.0.0").Split('+')[0];

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapNimApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/v1/health/live", LiveAsync).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v1/health/ready", ReadyAsync).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v2/health/live", () => Results.Ok()).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v2/health/ready", async (BackendState backends, HttpContext context) =>
            await backends.IsReadyAsync(context.RequestAborted) ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable))
            .WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v1/metadata", MetadataAsync).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v1/version", VersionAsync).WithMetadata(ErrorSurface.Nim);
        app.MapGet("/v1/license", LicenseAsync).WithMetadata(ErrorSurface.Nim);
        // NOTE: the process's metrics (ServiceDefaults' Prometheus registry, which includes the NvEmbed.Api meter);
        // MapDefaultEndpoints serves the same text at /metrics, TEI's route.
        app.MapMetrics("/v1/metrics").WithMetadata(ErrorSurface.Nim);
        return app;
    }

    private static Task LiveAsync(HttpContext context) =>
        HttpWriter.WriteJsonAsync(context, new HealthResponse { Message = "Service is live." }, ApiJsonContext.Default.HealthResponse);

    private static async Task ReadyAsync(HttpContext context, BackendState backends)
    {
        var ready = await backends.IsReadyAsync(context.RequestAborted);
        await HttpWriter.WriteJsonAsync(
            context,
            new HealthResponse { Message = ready ? "Service is ready." : "Service is not ready: the tokenizer and the inference worker must both serve the same model." },
            ApiJsonContext.Default.HealthResponse,
            ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task MetadataAsync(HttpContext context, BackendState backends, IOptionsMonitor<ApiOptions> options)
    {
        var model = await backends.GetModelAsync(context.RequestAborted);
        var version = options.CurrentValue.ModelVersion;
        var metadata = new MetadataResponse
        {
            Version = ProductVersion,
            ModelInfo = [.. model.ServedNames.Select(name => new MetadataModelInfo { ShortName = $"{name}:{version}", ModelUrl = $"nvembed://models/{model.Fingerprint}" })],
            LicenseInfo = License(options.CurrentValue.ModelDirectory),
            SelectedModelProfileId = model.Fingerprint,
        };
        await HttpWriter.WriteJsonAsync(context, metadata, ApiJsonContext.Default.MetadataResponse);
    }

    private static Task VersionAsync(HttpContext context) =>
        HttpWriter.WriteJsonAsync(context, new VersionResponse { Release = ProductVersion, Api = "1.0.0" }, ApiJsonContext.Default.VersionResponse);

    private static Task LicenseAsync(HttpContext context, IOptionsMonitor<ApiOptions> options) =>
        HttpWriter.WriteJsonAsync(context, License(options.CurrentValue.ModelDirectory), ApiJsonContext.Default.LicenseResponse);

    private static LicenseResponse License(string? modelDirectory)
    {
        var path = modelDirectory is null ? null : Path.Combine(modelDirectory, "LICENSE");
        var content = path is not null && File.Exists(path) ? File.ReadAllText(path) : DefaultLicense;
        var bytes = Encoding.UTF8.GetBytes(content);
        return new LicenseResponse
        {
            Name = "LICENSE",
            Path = "LICENSE",
            Sha = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            Size = bytes.Length,
            Url = "/v1/license",
            Content = content,
        };
    }
}
