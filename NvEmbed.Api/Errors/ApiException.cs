using NvEmbed.Api.Models;

namespace NvEmbed.Api.Errors;

/// <summary>A request that fails with one of the <see cref="ApiErrorKind"/>s; the surface's mapper turns it into a response.</summary>
public sealed class ApiException : Exception
{
    public ApiException(ApiErrorKind kind, string message, ValidationDetail? detail = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Detail = detail;
    }

    /// <summary>What went wrong.</summary>
    public ApiErrorKind Kind { get; }

    /// <summary>For schema errors: the field, the rule and the offending value, in the shape NIM's validator reports.</summary>
    public ValidationDetail? Detail { get; }

    /// <summary>A schema error with the NIM validation body.</summary>
    public static ApiException Invalid(ValidationDetail detail) => new(ApiErrorKind.Validation, detail.Msg, detail);
}
