using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Extensions;
using NvEmbed.InferenceWorker.Models;
using NvEmbed.InferenceWorker.Models.Generation;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// Opens <see cref="InferenceWorkerOptions.ModelDir"/> (or the embedded default model, generated once
/// into the cache) with one ONNX Runtime session per configured session, spread over the configured devices.
/// </summary>
public sealed class OnnxModelLoader(IOptions<InferenceWorkerOptions> options, ILogger<OnnxModelLoader> logger) : IModelLoader
{
    /// <inheritdoc />
    public LoadedModel Load(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var progress = new Progress<string>(line => SchedulerLog.LoadProgress(logger, line));
        var directory = settings.ModelDir ?? DefaultModel.EnsureCreated(settings.CacheDir ?? DefaultCacheDir(), progress);
        SchedulerLog.LoadingModel(logger, directory, settings.Sessions, settings.ExecutionProvider, settings.ThreadsPerSession);
        SchedulerLog.NativeHeapTuning(logger, NativeHeap.Configure());
        var model = ModelDirectory.Open(directory);
        var backends = new List<IEmbeddingBackend>(settings.Sessions);
        try
        {
            for (var session = 0; session < settings.Sessions; session++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                backends.Add(OnnxBackend.Open(model, new OnnxBackendOptions
                {
                    ExecutionProvider = settings.ExecutionProvider,
                    DeviceId = settings.DeviceFor(session),
                    IntraOpThreads = settings.ThreadsPerSession,
                    AllowSpinning = settings.AllowSpinning,
                    Precision = settings.Precision,
                    CustomModelPath = settings.CustomModelPath,
                }, progress));
            }
        }
        catch
        {
            foreach (var backend in backends)
            {
                backend.Dispose();
            }

            throw;
        }

        var info = backends[0].Info;
        var description = model.Settings.Description ?? (model.Config is { } config
            ? string.Create(CultureInfo.InvariantCulture, $"{config.Architecture}: {config.NumLayers} layers, hidden {config.HiddenSize}, {info.Precision} on {info.ExecutionProvider}")
            : $"ONNX model, {info.Precision} on {info.ExecutionProvider}");
        return new LoadedModel(backends, model.Fingerprint, model.Settings.ServedModelName ?? Path.GetFileName(directory), ServedDimensions(model.Settings.Dimensions, info.HiddenSize), description);
    }

    /// <summary>The Matryoshka sizes a model serves: its configured sizes up to the full size, ascending, ending with the full size.</summary>
    public static IReadOnlyList<int> ServedDimensions(IReadOnlyList<int>? configured, int hiddenSize)
    {
        var sizes = new SortedSet<int> { hiddenSize };
        foreach (var size in configured ?? [])
        {
            if (size > 0 && size <= hiddenSize)
            {
                sizes.Add(size);
            }
        }

        return [.. sizes];
    }

    /// <summary><c>NIM_CACHE_PATH</c>, else <c>$XDG_CACHE_HOME/nvembed</c>, else <c>~/.cache/nvembed</c> (as the AppHost).</summary>
    public static string DefaultCacheDir()
    {
        if (Environment.GetEnvironmentVariable("NIM_CACHE_PATH") is { Length: > 0 } nimCache)
        {
            return nimCache;
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : xdg;
        return Path.Combine(root, "nvembed");
    }
}
