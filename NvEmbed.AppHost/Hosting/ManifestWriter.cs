using System.Text;
using System.Text.Json;

namespace NvEmbed.AppHost.Hosting;

/// <summary>
/// Writes the topology as an Aspire deployment manifest (the format azd and Aspire's Kubernetes
/// tooling read): one <c>project.v0</c> resource per service with its bindings and environment
/// expressions, and the model directory as a <c>parameter.v0</c>.
/// </summary>
public static class ManifestWriter
{
    /// <summary>Writes the manifest to <paramref name="outputPath"/>; project paths are relative to its folder.</summary>
    public static void Write(DistributedApplicationBuilder builder, string outputPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        File.WriteAllText(outputPath, Render(builder, directory));
    }

    /// <summary>The manifest text, with project paths relative to <paramref name="manifestDirectory"/>.</summary>
    public static string Render(DistributedApplicationBuilder builder, string manifestDirectory)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "https://json.schemastore.org/aspire-8.0.json");
            json.WriteStartObject("resources");
            if (builder.Model is not null && builder.Projects.Any(p => p.Model is not null))
            {
                WriteModelParameter(json);
            }

            foreach (var project in builder.Projects)
            {
                WriteProject(json, project, manifestDirectory);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    private static void WriteModelParameter(Utf8JsonWriter json)
    {
        json.WriteStartObject(ModelResource.ParameterName);
        json.WriteString("type", "parameter.v0");
        json.WriteString("value", $"{{{ModelResource.ParameterName}.inputs.value}}");
        json.WriteStartObject("inputs");
        json.WriteStartObject("value");
        json.WriteString("type", "string");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteProject(Utf8JsonWriter json, ProjectResource project, string manifestDirectory)
    {
        json.WriteStartObject(project.Name);
        json.WriteString("type", "project.v0");
        json.WriteString("path", Path.GetRelativePath(manifestDirectory, project.ProjectPath).Replace('\\', '/'));

        json.WriteStartObject("env");
        json.WriteString("OTEL_SERVICE_NAME", project.Name);
        foreach (var endpoint in project.Endpoints)
        {
            json.WriteString($"Kestrel__Endpoints__{endpoint.Name}__Url", $"http://*:{{{project.Name}.bindings.{endpoint.Name}.targetPort}}");
            json.WriteString($"Kestrel__Endpoints__{endpoint.Name}__Protocols", endpoint.Http2Only ? "Http2" : "Http1");
        }

        foreach (var reference in project.References)
        {
            json.WriteString(
                $"services__{reference.Target.Name}__{reference.EndpointName}__0",
                $"{{{reference.Target.Name}.bindings.{reference.EndpointName}.url}}");
        }

        if (project.Model is not null)
        {
            json.WriteString("NVEMBED_MODEL_DIR", $"{{{ModelResource.ParameterName}.value}}");
        }

        foreach (var (name, value) in project.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();

        json.WriteStartObject("bindings");
        foreach (var endpoint in project.Endpoints)
        {
            json.WriteStartObject(endpoint.Name);
            json.WriteString("scheme", "http");
            json.WriteString("protocol", "tcp");
            json.WriteString("transport", endpoint.Http2Only ? "http2" : "http");
            if (endpoint.Port is { } port)
            {
                json.WriteNumber("port", port);
                json.WriteNumber("targetPort", port);
            }

            if (endpoint.IsExternal)
            {
                json.WriteBoolean("external", true);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
