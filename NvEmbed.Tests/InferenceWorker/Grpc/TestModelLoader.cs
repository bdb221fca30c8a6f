using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Grpc;

/// <summary>Serves given backends as the worker's model; can hold loading (to observe NOT_SERVING) or fail it.</summary>
public sealed class TestModelLoader(params IEmbeddingBackend[] backends) : IModelLoader
{
    public ManualResetEventSlim? Gate { get; init; }

    public Exception? Failure { get; init; }

    public IReadOnlyList<int> Dimensions { get; init; } = [4, backends[0].Info.HiddenSize];

    public LoadedModel Load(CancellationToken cancellationToken)
    {
        Gate?.Wait(TimeSpan.FromSeconds(30), cancellationToken);
        if (Failure is not null)
        {
            throw Failure;
        }

        return new LoadedModel(backends, "fingerprint-of-test-model", "test/model", Dimensions, "test backend: mean of per-token sine vectors");
    }
}
