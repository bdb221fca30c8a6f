using Microsoft.Extensions.Options;
using NvEmbed.Api.Options;

namespace NvEmbed.Api.Embedding;

/// <summary>
/// The Api's admission limit (<see cref="ApiOptions.MaxQueueSize"/>): a try-acquire, never a wait, so a full service
/// answers at once instead of piling up requests.
/// </summary>
public sealed class AdmissionGate
{
    private readonly IOptionsMonitor<ApiOptions> _options;
    private int _inFlight;

    public AdmissionGate(IOptionsMonitor<ApiOptions> options) => _options = options;

    /// <summary>Requests admitted now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Admits one request, or returns false when the limit is reached. Call <see cref="Exit"/> once per admission.</summary>
    public bool TryEnter()
    {
        var limit = _options.CurrentValue.MaxQueueSize;
        if (Interlocked.Increment(ref _inFlight) > limit)
        {
            Interlocked.Decrement(ref _inFlight);
            return false;
        }

        return true;
    }

    /// <summary>Ends an admission.</summary>
    public void Exit() => Interlocked.Decrement(ref _inFlight);
}
