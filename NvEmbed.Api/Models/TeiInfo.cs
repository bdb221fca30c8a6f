using System.Text.Json.Serialization;

namespace NvEmbed.Api.Models;

/// <summary>TEI's GET /info.</summary>
public sealed class TeiInfo
{
    [JsonPropertyName("model_id")]
    public required string ModelId { get; init; }

    [JsonPropertyName("model_sha")]
    public required string? ModelSha { get; init; }

    [JsonPropertyName("model_dtype")]
    public required string ModelDtype { get; init; }

    [JsonPropertyName("model_type")]
    public required TeiModelType ModelType { get; init; }

    [JsonPropertyName("max_concurrent_requests")]
    public required int MaxConcurrentRequests { get; init; }

    [JsonPropertyName("max_input_length")]
    public required int MaxInputLength { get; init; }

    [JsonPropertyName("max_batch_tokens")]
    public required int MaxBatchTokens { get; init; }

    [JsonPropertyName("max_batch_requests")]
    public int? MaxBatchRequests { get; init; }

    [JsonPropertyName("max_client_batch_size")]
    public required int MaxClientBatchSize { get; init; }

    [JsonPropertyName("auto_truncate")]
    public bool AutoTruncate => false;

    [JsonPropertyName("tokenization_workers")]
    public int? TokenizationWorkers { get; init; }

    [JsonPropertyName("version")]
    public required string Version { get; init; }

    [JsonPropertyName("sha")]
    public string? Sha { get; init; }

    [JsonPropertyName("docker_label")]
    public string? DockerLabel { get; init; }
}
