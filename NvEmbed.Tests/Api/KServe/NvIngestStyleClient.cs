using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using NvEmbed.Api.KServe.V2;

namespace NvEmbed.Tests.Api.KServe;

/// <summary>
/// A KServe v2 client that calls the way nv-ingest's embedding stage does over gRPC (written from its behaviour as the
/// NIM contract records it, not from its code): it reads <c>max_batch_size</c> from ModelConfig, sends the texts in
/// batches of at most that many as a raw BYTES tensor <c>text</c> of shape [n,1] (each element a 4-byte little-endian
/// length and its UTF-8 bytes), passes <c>input_type</c> and <c>truncate</c> as string request parameters, asks for the
/// <c>embeddings</c> output only and reads it as FP32 [n,dim]; it retries a batch only when the answer is UNAVAILABLE with
/// "Exceeds maximum queue size" in its message (the NIM's full-queue answer) and fails on anything else.
/// </summary>
public sealed class NvIngestStyleClient(GRPCInferenceService.GRPCInferenceServiceClient client, string model)
{
    /// <summary>Batches that were answered "Exceeds maximum queue size" and sent again.</summary>
    public int QueueFullRetries { get; private set; }

    /// <summary>The ModelConfig max_batch_size read by the last <see cref="EmbedAsync"/>.</summary>
    public int MaxBatchSize { get; private set; }

    /// <summary>Embeds <paramref name="texts"/>: one vector per text, in order.</summary>
    public async Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, string inputType, string truncate, TimeSpan timeout, int maxRetries = 5)
    {
        var config = await client.ModelConfigAsync(new ModelConfigRequest { Name = model }, deadline: DateTime.UtcNow + timeout);
        MaxBatchSize = config.Config.MaxBatchSize;
        var vectors = new List<float[]>(texts.Count);
        for (var start = 0; start < texts.Count; start += MaxBatchSize)
        {
            var batch = texts.Skip(start).Take(MaxBatchSize).ToArray();
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var response = await client.ModelInferAsync(Request(batch, inputType, truncate), deadline: DateTime.UtcNow + timeout);
                    vectors.AddRange(ReadEmbeddings(response));
                    break;
                }
                catch (RpcException ex) when (attempt < maxRetries && ex.StatusCode == StatusCode.Unavailable &&
                    ex.Status.Detail.Contains("Exceeds maximum queue size", StringComparison.Ordinal))
                {
                    QueueFullRetries++;
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * (attempt + 1)));
                }
            }
        }

        return [.. vectors];
    }

    /// <summary>The ModelInfer request for one batch.</summary>
    public ModelInferRequest Request(IReadOnlyList<string> batch, string inputType, string truncate)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "text", Datatype = "BYTES", Shape = { batch.Count, 1 } });
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "embeddings" });
        request.Parameters["input_type"] = new InferParameter { StringParam = inputType };
        request.Parameters["truncate"] = new InferParameter { StringParam = truncate };
        request.RawInputContents.Add(SerializeBytes(batch));
        return request;
    }

    private static ByteString SerializeBytes(IReadOnlyList<string> values)
    {
        using var stream = new MemoryStream();
        Span<byte> prefix = stackalloc byte[4];
        foreach (var value in values)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)bytes.Length);
            stream.Write(prefix);
            stream.Write(bytes);
        }

        return ByteString.CopyFrom(stream.ToArray());
    }

    private static float[][] ReadEmbeddings(ModelInferResponse response)
    {
        var output = Assert.Single(response.Outputs);
        Assert.Equal(("embeddings", "FP32"), (output.Name, output.Datatype));
        var (rows, columns) = ((int)output.Shape[0], (int)output.Shape[1]);
        var raw = response.RawOutputContents[0].Span;
        Assert.Equal(rows * columns * sizeof(float), raw.Length);
        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            result[r] = new float[columns];
            for (var c = 0; c < columns; c++)
            {
                result[r][c] = BinaryPrimitives.ReadSingleLittleEndian(raw[((r * columns + c) * sizeof(float))..]);
            }
        }

        return result;
    }
}
