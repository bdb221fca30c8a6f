namespace NvEmbed.Api.Options;

/// <summary>
/// The names a model is served under. By default the worker's own name plus the model's other published name: NVIDIA
/// renamed <c>nvidia/llama-3.2-nv-embedqa-1b-v2</c> to <c>nvidia/llama-nemotron-embed-1b-v2</c>, nv-ingest and
/// langchain-nvidia default to the new one, and older clients send the old one. <c>NIM_SERVED_MODEL_NAME</c>
/// (<see cref="ApiOptions.ServedModelNames"/>) replaces the list.
/// </summary>
public static class ServedModelNames
{
    /// <summary>Groups of names that denote one model (its old and new names).</summary>
    public static readonly IReadOnlyList<string[]> Aliases =
    [
        ["nvidia/llama-3.2-nv-embedqa-1b-v2", "nvidia/llama-nemotron-embed-1b-v2"],
    ];

    /// <summary>
    /// The served names, primary first: <paramref name="configured"/> when it holds any, else
    /// <paramref name="workerName"/> and its aliases. <c>SingleModel</c> is true when every name denotes the one model
    /// (the default list, or one configured name): then the HTTP routes serve a request for any name, as the NIM does.
    /// </summary>
    public static (IReadOnlyList<string> Names, bool SingleModel) Resolve(IReadOnlyList<string> configured, string workerName)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(workerName);
        if (configured.Count > 0)
        {
            return (configured, configured.Count == 1);
        }

        foreach (var group in Aliases)
        {
            if (Array.Exists(group, name => string.Equals(name, workerName, StringComparison.OrdinalIgnoreCase)))
            {
                var names = new List<string>(group.Length) { workerName };
                foreach (var alias in group)
                {
                    if (!string.Equals(alias, workerName, StringComparison.OrdinalIgnoreCase))
                    {
                        names.Add(alias);
                    }
                }

                return (names, true);
            }
        }

        return ([workerName], true);
    }

    /// <summary>
    /// A served name in the form gRPC clients use (Triton model names cannot hold '/'): every character that is not an
    /// ASCII letter or digit becomes '_', and the letters keep their case
    /// (<c>nvidia/llama-nemotron-embed-1b-v2</c> → <c>nvidia_llama_nemotron_embed_1b_v2</c>).
    /// </summary>
    public static string GrpcForm(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsAsciiLetterOrDigit(source[i]) ? source[i] : '_';
            }
        });
    }

    /// <summary>
    /// True when <paramref name="requested"/> names <paramref name="served"/> in its own or its gRPC form. Case is
    /// ignored: a client that lower-cases (or not) still finds the model.
    /// </summary>
    public static bool Matches(string requested, string served)
    {
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(served);
        if (string.Equals(requested, served, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (requested.Length != served.Length)
        {
            return false;
        }

        for (var i = 0; i < requested.Length; i++)
        {
            var expected = char.IsAsciiLetterOrDigit(served[i]) ? served[i] : '_';
            if (char.ToLowerInvariant(requested[i]) != char.ToLowerInvariant(expected))
            {
                return false;
            }
        }

        return true;
    }
}
