using Microsoft.Extensions.Configuration;

namespace NvEmbed.Api.Options;

/// <summary>
/// The one place where NIM's environment variables become NvEmbed configuration. A NIM variable sets the
/// matching <c>Api:*</c> key unless that key is set explicitly.
/// </summary>
/// <remarks>
/// Read elsewhere (not by the Api): <c>NIM_HTTP_API_PORT</c>, <c>NIM_GRPC_API_PORT</c> (the AppHost and the gateway),
/// <c>NIM_CUSTOM_MODEL</c>, <c>NIM_CACHE_PATH</c>, <c>NIM_SERVER_MAX_WAIT_MS</c>, <c>NIM_PIPELINE_MAX_BATCH_SIZE</c> (the worker)
/// (the worker and the AppHost); <c>NIM_LOG_LEVEL</c>, <c>LOG_LEVEL</c>, <c>NIM_JSONL_LOGGING</c> (ServiceDefaults, for
/// every service). <c>NGC_API_KEY</c> is accepted and unused.
/// </remarks>
public static class NimEnvironment
{
    /// <summary>NIM variable → <see cref="ApiOptions"/> property (several NIM names may feed one property; the first set wins).</summary>
    public static readonly IReadOnlyList<(string Variable, string Property)> Mappings =
    [
        ("NIM_TRITON_MAX_BATCH_SIZE", nameof(ApiOptions.MaxBatchSize)),
        ("NIM_TRITON_MAX_SEQ_LENGTH", nameof(ApiOptions.MaxSequenceLength)),
        ("NIM_MAX_SEQ_LEN", nameof(ApiOptions.MaxSequenceLength)),
        ("NIM_SERVER_MAX_QUEUE_SIZE", nameof(ApiOptions.MaxQueueSize)),
        ("NIM_SERVER_REQUEST_TIMEOUT_S", nameof(ApiOptions.RequestTimeoutSeconds)),
        ("NIM_SERVER_HTTP_BODY_LIMIT_BYTES", nameof(ApiOptions.MaxRequestBodyBytes)),
        ("NIM_SERVED_MODEL_NAME", nameof(ApiOptions.ServedModelNames)),
        ("MODEL_VERSION", nameof(ApiOptions.ModelVersion)),
        ("NVEMBED_MODEL_DIR", nameof(ApiOptions.ModelDirectory)),
    ];

    /// <summary>Adds the NIM variables found in <paramref name="configuration"/> as <c>Api:*</c> keys.</summary>
    public static void Map(IConfigurationManager configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, property) in Mappings)
        {
            var key = $"{ApiOptions.SectionName}:{property}";
            var value = configuration[variable];
            if (!string.IsNullOrWhiteSpace(value) && configuration[key] is null && !values.ContainsKey(key))
            {
                values[key] = value.Trim();
            }
        }

        if (values.Count > 0)
        {
            configuration.AddInMemoryCollection(values);
        }
    }
}
