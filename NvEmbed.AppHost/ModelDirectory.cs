using Aspire.Hosting.Publishing;

namespace NvEmbed.AppHost;

/// <summary>
/// The model directory every tokenizer and worker loads (<c>NVEMBED_MODEL_DIR</c>): the configured one, or the embedded
/// default model's, which the <c>model</c> resource (the worker's <c>create-model --default</c>) prints on stdout once
/// it is ready. In the manifest it is the <c>model-dir</c> parameter (a volume in a cluster).
/// </summary>
public sealed class ModelDirectory : IValueProvider, IManifestExpressionProvider
{
    private readonly TaskCompletionSource<string> _directory = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IResourceBuilder<ParameterResource>? _parameter;

    /// <summary>A directory known up front (<c>NVEMBED_MODEL_DIR</c>).</summary>
    internal ModelDirectory(string directory) => _directory.SetResult(directory);

    /// <summary>The directory the <paramref name="creator"/> resource prints, or (publish mode) a parameter.</summary>
    internal ModelDirectory(IResourceBuilder<ProjectResource>? creator, IResourceBuilder<ParameterResource>? parameter)
    {
        Creator = creator;
        _parameter = parameter;
    }

    /// <summary>The resource that generates the default model; the services wait for it to finish. Null when a model is configured.</summary>
    public IResourceBuilder<ProjectResource>? Creator { get; }

    /// <summary>The <c>model-dir</c> parameter of the manifest; null when running.</summary>
    public IResourceBuilder<ParameterResource>? Parameter => _parameter;

    public string ValueExpression => _parameter?.Resource.ValueExpression ?? "{model-dir.value}";

    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
        new(_directory.Task.WaitAsync(cancellationToken)!);

    /// <summary>Reads the <see cref="Creator"/>'s output until it names an existing directory (its last stdout line).</summary>
    internal async Task WatchCreatorAsync(ResourceLoggerService logs, CancellationToken cancellationToken)
    {
        if (Creator is null || _directory.Task.IsCompleted)
        {
            return;
        }

        try
        {
            await foreach (var batch in logs.WatchAsync(Creator.Resource).WithCancellation(cancellationToken))
            {
                foreach (var line in batch)
                {
                    if (!line.IsErrorMessage && AsDirectory(line.Content) is { } directory)
                    {
                        _directory.TrySetResult(directory);
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            _directory.TrySetCanceled(cancellationToken);
        }
    }

    // NOTE: lines collected from DCP may start with an RFC 3339 timestamp; the directory is what follows it.
    private static string? AsDirectory(string content)
    {
        var text = content.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && DateTimeOffset.TryParse(text[..space], System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            text = text[(space + 1)..].Trim();
        }

        return Path.IsPathFullyQualified(text) && Directory.Exists(text) ? text : null;
    }
}
