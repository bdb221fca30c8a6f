using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NvEmbed.InferenceWorker.Batching;

/// <summary>
/// Owns the worker's model and scheduler: loads the model in the background at start (so the process
/// answers health checks, NOT_SERVING, while a graph builds), runs the warm-up batch, then serves;
/// on stop, drains the scheduler and releases the sessions.
/// </summary>
public sealed class InferenceRuntime : IHostedService, IAsyncDisposable
{
    private readonly IModelLoader _loader;
    private readonly SchedulerOptions _options;
    private readonly SchedulerMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stateLock = new();
    private Task _loading = Task.CompletedTask;
    private EmbeddingScheduler? _scheduler;
    private LoadedModel? _model;
    private volatile WorkerState _state = WorkerState.Loading;

    public InferenceRuntime(IModelLoader loader, IOptions<SchedulerOptions> options, SchedulerMetrics metrics, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _loader = loader;
        _options = options.Value;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<InferenceRuntime>();
    }

    /// <summary>Raised (on the loading or stopping thread) whenever <see cref="State"/> changes.</summary>
    public event Action<WorkerState>? StateChanged;

    public WorkerState State => _state;

    /// <summary>Why the worker is not serving, or "serving".</summary>
    public string StatusMessage { get; private set; } = "loading the model";

    /// <summary>The scheduler, once serving.</summary>
    public EmbeddingScheduler? Scheduler => _state == WorkerState.Serving ? _scheduler : null;

    /// <summary>The loaded model, once serving.</summary>
    public LoadedModel? Model => _state == WorkerState.Serving ? _model : null;

    /// <summary>Completes when the worker serves; faults when loading fails.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Starts loading in the background and returns at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loading = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking requests, fails what is queued, lets running batches finish, releases the sessions.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        SetState(WorkerState.Stopped, "shutting down");
        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_scheduler is not null)
        {
            await _scheduler.DisposeAsync().ConfigureAwait(false);
        }

        if (_model is not null)
        {
            foreach (var backend in _model.Backends)
            {
                backend.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_state != WorkerState.Stopped)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private void Load()
    {
        try
        {
            var model = _loader.Load(_stopping.Token);
            _model = model;
            var scheduler = new EmbeddingScheduler(model.Backends, _options, _metrics, _loggerFactory.CreateLogger<EmbeddingScheduler>());
            _scheduler = scheduler;
            _stopping.Token.ThrowIfCancellationRequested();
            scheduler.WarmUp();
            _stopping.Token.ThrowIfCancellationRequested();
            scheduler.Start();
            SchedulerLog.Ready(_logger, scheduler.SessionCount, scheduler.Info.HiddenSize, scheduler.MaxSequenceLength, scheduler.BatchTokens);
            SetState(WorkerState.Serving, "serving");
            _ready.TrySetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            _ready.TrySetCanceled();
        }
        catch (Exception ex)
        {
            SchedulerLog.LoadFailed(_logger, ex);
            SetState(WorkerState.Failed, $"the model could not be loaded: {ex.Message}");
            _ready.TrySetException(ex);
        }
    }

    private void SetState(WorkerState state, string message)
    {
        lock (_stateLock)
        {
            if (_state == WorkerState.Stopped || _state == state)
            {
                return;
            }

            _state = state;
            StatusMessage = message;
        }

        StateChanged?.Invoke(state);
    }
}
