namespace NvEmbed.Api.Errors;

/// <summary>Which protocol's error shape an endpoint answers with; attached to endpoints as metadata.</summary>
public enum ErrorSurface
{
    /// <summary>NIM and OpenAI routes: <c>{"error": "..."}</c> and NIM's validation body.</summary>
    Nim,

    /// <summary>TEI routes: <c>{"error": "...", "error_type": "..."}</c>.</summary>
    Tei,
}
