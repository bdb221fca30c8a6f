using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>FastAPI's body for a path no route serves (404) or a method its route does not take (405): <c>{"detail": "Not Found"}</c>.</summary>
public sealed record RouteErrorBody([property: JsonPropertyName("detail")] string Detail);
