using System.Collections.Concurrent;
using Grpc.Core;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Api.Fakes;

/// <summary>A deterministic tokenizer service (see <see cref="FakeModel"/>) that applies truncation and the token limit like the real one.</summary>
public sealed class FakeTokenizer : ITokenizerClient
{
    public string Fingerprint { get; set; } = "fp-1";
    public int MaxTokens { get; set; } = 64;
    public bool Serving { get; set; } = true;

    /// <summary>When set, every call fails with this status.</summary>
    public StatusCode? FailWith { get; set; }

    /// <summary>When set, Encode waits for it (honouring cancellation) before answering.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Texts received by Encode, in call order.</summary>
    public ConcurrentQueue<string[]> EncodeCalls { get; } = new();

    /// <summary>Set when an Encode call saw its cancellation token fire.</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<TokenizedBatch> EncodeAsync(IReadOnlyList<string> texts, TruncationMode truncation, int maxTokens, bool addSpecialTokens, bool returnOffsets, DateTime? deadline, CancellationToken cancellationToken)
    {
        Fail();
        EncodeCalls.Enqueue([.. texts]);
        if (Gate is { } gate)
        {
            try
            {
                await gate.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw new RpcException(new Status(StatusCode.Cancelled, "cancelled by the caller"));
            }
        }

        var limit = maxTokens > 0 ? Math.Min(maxTokens, MaxTokens) : MaxTokens;
        var ids = new List<int>();
        var offsets = new List<int>();
        var cu = new List<int> { 0 };
        var errors = new List<TokenizeError>();
        for (var i = 0; i < texts.Count; i++)
        {
            var text = texts[i];
            if (text.Length == 0)
            {
                errors.Add(new TokenizeError(i, TokenizeErrorKind.Empty, "empty", 0, limit));
                cu.Add(ids.Count);
                continue;
            }

            var sequence = FakeModel.Tokenize(text, addSpecialTokens);
            var spans = Enumerable.Range(0, sequence.Length)
                .Select(t => addSpecialTokens ? (t == 0 ? (0, 0) : (t - 1, t)) : (t, t + 1)).ToArray();
            if (sequence.Length > limit)
            {
                switch (truncation)
                {
                    case TruncationMode.None:
                        errors.Add(new TokenizeError(i, TokenizeErrorKind.TooLong, "too long", sequence.Length, limit));
                        cu.Add(ids.Count);
                        continue;
                    case TruncationMode.End:
                        sequence = sequence[..limit];
                        spans = spans[..limit];
                        break;
                    case TruncationMode.Start:
                        var keep = addSpecialTokens ? 1 : 0;
                        sequence = [.. sequence[..keep], .. sequence[(sequence.Length - (limit - keep))..]];
                        spans = [.. spans[..keep], .. spans[(spans.Length - (limit - keep))..]];
                        break;
                }
            }

            ids.AddRange(sequence);
            foreach (var (start, end) in spans)
            {
                offsets.Add(start);
                offsets.Add(end);
            }

            cu.Add(ids.Count);
        }

        return new TokenizedBatch([.. ids], [.. cu], errors, returnOffsets ? [.. offsets] : []);
    }

    public Task<string> DecodeAsync(IReadOnlyList<int> ids, bool skipSpecialTokens, DateTime? deadline, CancellationToken cancellationToken)
    {
        Fail();
        var text = string.Concat(ids.Select(id => id == FakeModel.BosId
            ? (skipSpecialTokens ? "" : FakeModel.BosText)
            : ((char)(id - FakeModel.IdOffset)).ToString()));
        return Task.FromResult(text);
    }

    public Task<TokenizerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        Fail();
        return Task.FromResult(new TokenizerInfo(Fingerprint, "tok-fp", FakeModel.VocabSize, MaxTokens,
            new Dictionary<string, int> { [FakeModel.BosText] = FakeModel.BosId }, "BPE", "fake-model"));
    }

    public Task<bool> IsServingAsync(CancellationToken cancellationToken)
    {
        Fail();
        return Task.FromResult(Serving);
    }

    private void Fail()
    {
        if (FailWith is { } status)
        {
            throw new RpcException(new Status(status, $"fake tokenizer fails with {status}"));
        }
    }
}
