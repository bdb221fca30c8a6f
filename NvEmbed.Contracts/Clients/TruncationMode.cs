namespace NvEmbed.Contracts.Clients;

/// <summary>What to do with an input longer than the token limit.</summary>
public enum TruncationMode
{
    /// <summary>Reject the input (the NIM default).</summary>
    None,

    /// <summary>Drop tokens from the start; the BOS token stays first.</summary>
    Start,

    /// <summary>Drop tokens from the end.</summary>
    End,
}
