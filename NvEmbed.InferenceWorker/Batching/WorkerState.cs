namespace NvEmbed.InferenceWorker.Batching;

/// <summary>Where the worker is in its life.</summary>
public enum WorkerState
{
    /// <summary>Opening the model and warming up: NOT_SERVING.</summary>
    Loading,

    /// <summary>Warmed up and taking requests: SERVING.</summary>
    Serving,

    /// <summary>The model could not be loaded or warmed up: NOT_SERVING, with the reason in the log and in <see cref="InferenceRuntime.StatusMessage"/>.</summary>
    Failed,

    /// <summary>Shutting down: NOT_SERVING.</summary>
    Stopped,
}
