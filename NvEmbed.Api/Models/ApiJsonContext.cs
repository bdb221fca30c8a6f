using System.Text.Json;
using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>The source-generated serializers of every body the Api writes.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified)]
[JsonSerializable(typeof(EmbeddingListResponse))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(MetadataResponse))]
[JsonSerializable(typeof(LicenseResponse))]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(NimErrorBody))]
[JsonSerializable(typeof(NimValidationErrorBody))]
[JsonSerializable(typeof(RouteErrorBody))]
[JsonSerializable(typeof(TeiErrorBody))]
[JsonSerializable(typeof(TeiInfo))]
[JsonSerializable(typeof(IReadOnlyList<EmbeddingVector>))]
[JsonSerializable(typeof(IReadOnlyList<IReadOnlyList<TeiToken>>))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
