using System.Net;
using Grpc.Core;
using NvEmbed.Api.Errors;

namespace NvEmbed.Tests.Api;

/// <summary>The error vocabulary's one mapping per surface: one row per kind, so docs and code cannot drift.</summary>
public sealed class ErrorMappingTests
{
    [Theory]
    [InlineData(ApiErrorKind.Validation, HttpStatusCode.BadRequest, HttpStatusCode.UnprocessableEntity, "validation")]
    [InlineData(ApiErrorKind.Empty, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, "empty")]
    [InlineData(ApiErrorKind.TooLong, HttpStatusCode.BadRequest, HttpStatusCode.UnprocessableEntity, "tokenizer")]
    [InlineData(ApiErrorKind.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, "validation")]
    [InlineData(ApiErrorKind.PayloadTooLarge, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.RequestEntityTooLarge, "validation")]
    [InlineData(ApiErrorKind.UnsupportedMediaType, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.UnsupportedMediaType, "validation")]
    [InlineData(ApiErrorKind.Overloaded, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, "overloaded")]
    [InlineData(ApiErrorKind.QueueFull, HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests, "overloaded")]
    [InlineData(ApiErrorKind.Unavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, "unhealthy")]
    [InlineData(ApiErrorKind.Timeout, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, "unhealthy")]
    [InlineData(ApiErrorKind.Backend, HttpStatusCode.InternalServerError, HttpStatusCode.FailedDependency, "backend")]
    public void Status_EachKind_MapsAsDocumented(ApiErrorKind kind, HttpStatusCode nim, HttpStatusCode tei, string teiType)
    {
        // Act / Assert
        Assert.Equal(nim, NimErrors.Status(kind));
        Assert.Equal(tei, TeiErrors.Status(kind));
        Assert.Equal(teiType, TeiErrors.ErrorType(kind));
    }

    [Fact]
    public void Status_EveryKind_HasARow()
    {
        // Act / Assert: a new kind without a mapping throws here.
        foreach (var kind in Enum.GetValues<ApiErrorKind>())
        {
            Assert.True((int)NimErrors.Status(kind) >= 400);
            Assert.True((int)TeiErrors.Status(kind) >= 400);
        }
    }

    [Theory]
    [InlineData(StatusCode.ResourceExhausted, ApiErrorKind.Overloaded)]
    [InlineData(StatusCode.Unavailable, ApiErrorKind.Unavailable)]
    [InlineData(StatusCode.FailedPrecondition, ApiErrorKind.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded, ApiErrorKind.Timeout)]
    [InlineData(StatusCode.InvalidArgument, ApiErrorKind.Validation)]
    [InlineData(StatusCode.Internal, ApiErrorKind.Backend)]
    public void Kind_GrpcStatus_MapsToTheVocabulary(StatusCode status, ApiErrorKind expected)
    {
        // Act / Assert
        Assert.Equal(expected, GrpcErrors.Kind(status));
    }
}
