namespace NvEmbed.InferenceWorker.Extensions;

/// <summary>Wires the inference worker's services and endpoints.</summary>
public static class InferenceWorkerExtensions
{
    public static IHostApplicationBuilder AddInferenceWorkerServices(this IHostApplicationBuilder builder) => builder;

    public static IEndpointRouteBuilder MapInferenceWorker(this IEndpointRouteBuilder app) => app;
}
