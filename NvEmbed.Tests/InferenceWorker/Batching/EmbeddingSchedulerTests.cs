using NvEmbed.InferenceWorker.Backends;
using NvEmbed.InferenceWorker.Batching;

namespace NvEmbed.Tests.InferenceWorker.Batching;

public class EmbeddingSchedulerTests
{
    private static readonly TimeSpan s_timeout = SchedulerHarness.Timeout;

    [Fact]
    public async Task EmbedAsync_ManyConcurrentCallers_EachSequenceGetsItsOwnVectorFromSharedBatches()
    {
        // Arrange: a slow backend so callers pile up and must share batches.
        var backend = new TestBackend(hiddenSize: 16) { DelayPerBatch = TimeSpan.FromMilliseconds(5) };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 512 }, backend);
        var random = new Random(7);
        var requests = Enumerable.Range(0, 40)
            .Select(_ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => SchedulerHarness.RandomSequence(random, random.Next(1, 60))).ToArray())
            .ToArray();

        // Act
        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => harness.EmbedAsync(r)))).WaitAsync(s_timeout);

        // Assert: every vector is its own sequence's, in request order.
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].Length, results[i].Vectors.Length);
            Assert.Equal(16, results[i].Dimensions);
            Assert.Equal(requests[i].Sum(s => s.Length), results[i].ComputeTokens);
            for (var s = 0; s < requests[i].Length; s++)
            {
                SchedulerHarness.AssertClose(harness.Expected(requests[i][s], 16, normalize: true), SchedulerHarness.Decode(results[i].Vectors[s]));
            }
        }

        var batches = backend.Batches.ToArray();
        Assert.True(batches.Length < requests.Sum(r => r.Length), "sequences should share batches");
        Assert.All(batches, b => Assert.True(b.Rows * b.SequenceLength <= 512, $"batch {b.Rows}×{b.SequenceLength} is over the budget"));
        Assert.False(backend.ConcurrentCallSeen);
        Assert.Empty(harness.Logger.Errors);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(5, false)]
    [InlineData(0, true)]
    public async Task EmbedAsync_Dimensions_SlicesThenRenormalisesUnlessSkipped(int dimensions, bool normalize)
    {
        // Arrange
        var backend = new TestBackend(hiddenSize: 8);
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var sequences = new[] { new[] { 5, 9, 200 }, new[] { 42 } };

        // Act
        var result = await harness.EmbedAsync(sequences, dimensions, normalize).WaitAsync(s_timeout);

        // Assert
        var expectedDimensions = dimensions == 0 ? 8 : dimensions;
        Assert.Equal(expectedDimensions, result.Dimensions);
        for (var s = 0; s < sequences.Length; s++)
        {
            Assert.Equal(expectedDimensions * sizeof(float), result.Vectors[s].Length);
            SchedulerHarness.AssertClose(harness.Expected(sequences[s], expectedDimensions, normalize), SchedulerHarness.Decode(result.Vectors[s]));
        }
    }

    [Fact]
    public async Task EmbedAsync_CallersArriveWhileSessionBusy_NextBatchTakesThemAllNotJustTheFirst()
    {
        // Arrange: hold the only session on a first request.
        var backend = new TestBackend { Gate = new ManualResetEventSlim(false) };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 1024, MaxPaddingRatio = 1 }, backend);
        var first = harness.EmbedAsync([[1, 2, 3]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));

        // Act: ten callers arrive one after another while the session is busy, then it frees up.
        var later = new List<Task<EmbedResult>>();
        for (var i = 0; i < 10; i++)
        {
            later.Add(harness.EmbedAsync([[10 + i, 20 + i, 30 + i, 40 + i]]));
            await Task.Delay(5);
        }

        backend.Gate.Set();
        await Task.WhenAll(later.Append(first)).WaitAsync(s_timeout);

        // Assert: the batch after the first holds all ten, not one cut early plus the rest.
        var batches = backend.Batches.ToArray();
        Assert.Equal(2, batches.Length);
        Assert.Equal(10, batches[1].Rows);
    }

    [Fact]
    public async Task EmbedAsync_QueueOverTokenBound_RefusedAtOnceAndEarlierCallsStillComplete()
    {
        // Arrange: the session is held, so admitted tokens stay queued.
        var backend = new TestBackend { Gate = new ManualResetEventSlim(false) };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 100, MaxQueueTokens = 300 }, backend);
        var running = harness.EmbedAsync([new int[100]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var queued = new[] { harness.EmbedAsync([Enumerable.Range(1, 100).ToArray(), Enumerable.Range(1, 100).ToArray()]), harness.EmbedAsync([Enumerable.Range(1, 90).ToArray()]) };

        // Act: 290 tokens admitted; one full batch (100) is prepared ahead for the busy session and leaves
        // the queue, so 190 stay queued: 120 more go over the bound, 110 fit.
        await WaitUntilAsync(() => harness.Scheduler.QueuedTokens == 190);
        var refused = Assert.Throws<EmbeddingException>(() => { _ = harness.EmbedAsync([Enumerable.Range(1, 100).ToArray(), Enumerable.Range(1, 20).ToArray()]); });
        var fits = harness.EmbedAsync([Enumerable.Range(1, 100).ToArray(), Enumerable.Range(1, 10).ToArray()]);
        backend.Gate.Set();

        // Assert
        Assert.Equal(EmbedErrorKind.Overloaded, refused.Kind);
        await Task.WhenAll(queued.Append(running).Append(fits)).WaitAsync(s_timeout);
        Assert.Equal(1, harness.Metrics.Sum("nvembed.worker.rejected"));
        Assert.Equal(0, harness.Scheduler.QueuedTokens);
    }

    [Fact]
    public async Task EmbedAsync_RequestLargerThanWholeQueue_ValidationError()
    {
        // Arrange
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 100, MaxQueueTokens = 150 }, new TestBackend());
        var sequences = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(1, 80).ToArray()).ToArray();

        // Act
        var error = Assert.Throws<EmbeddingException>(() => { _ = harness.EmbedAsync(sequences); });

        // Assert
        Assert.Equal(EmbedErrorKind.Validation, error.Kind);
        Assert.Contains("150", error.Message);
    }

    [Fact]
    public async Task EmbedAsync_CallerCancelsWhileQueued_DroppedBeforeModelAndCounted()
    {
        // Arrange
        var backend = new TestBackend { Gate = new ManualResetEventSlim(false) };
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var running = harness.EmbedAsync([[1, 2]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        using var cancel = new CancellationTokenSource();
        var cancelled = harness.EmbedAsync([Enumerable.Range(1, 77).ToArray(), Enumerable.Range(1, 77).ToArray()], cancellationToken: cancel.Token);
        var kept = harness.EmbedAsync([[5, 6, 7]]);

        // Act
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(s_timeout));
        backend.Gate.Set();
        await Task.WhenAll(running, kept).WaitAsync(s_timeout);

        // Assert: the 77-token rows never reached the model.
        Assert.DoesNotContain(backend.Batches, b => b.SequenceLength == 77);
        Assert.Equal(2, harness.Metrics.Sum("nvembed.worker.dropped", "cancelled"));
        Assert.Equal(0, harness.Scheduler.QueuedTokens);
    }

    [Fact]
    public async Task EmbedAsync_DeadlinePassesWhileQueued_DeadlineExceededAndCounted()
    {
        // Arrange
        var backend = new TestBackend { Gate = new ManualResetEventSlim(false) };
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var running = harness.EmbedAsync([[1, 2]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var late = harness.EmbedAsync([Enumerable.Range(1, 33).ToArray()], deadline: DateTime.UtcNow.AddMilliseconds(50));

        // Act
        await Task.Delay(100);
        backend.Gate.Set();
        var error = await Assert.ThrowsAsync<EmbeddingException>(() => late.WaitAsync(s_timeout));
        await running.WaitAsync(s_timeout);

        // Assert
        Assert.Equal(EmbedErrorKind.DeadlineExceeded, error.Kind);
        Assert.DoesNotContain(backend.Batches, b => b.SequenceLength == 33);
        Assert.Equal(1, harness.Metrics.Sum("nvembed.worker.dropped", "deadline"));
    }

    [Fact]
    public async Task EmbedAsync_BatchFailsOnOneSequence_SplitRetriedAndOnlyThatHalfFails()
    {
        // Arrange: id 999 makes any batch holding it fail; the session is held so all four requests share a batch.
        var backend = new TestBackend
        {
            Gate = new ManualResetEventSlim(false),
            FailWhen = b => b.InputIds.Span.Contains(999L) ? new InvalidOperationException("provider error: bad token") : null,
        };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxPaddingRatio = 1 }, backend);
        var first = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var poisoned = harness.EmbedAsync([[999, 1, 2, 3]]);
        var healthy = new[] { harness.EmbedAsync([[4, 5, 6, 7]]), harness.EmbedAsync([[8, 9, 10, 11]]), harness.EmbedAsync([[12, 13, 14, 15]]) };

        // Act
        backend.Gate.Set();
        var error = await Assert.ThrowsAsync<EmbeddingException>(() => poisoned.WaitAsync(s_timeout));
        var outcomes = await Task.WhenAll(healthy.Select(t => t.ContinueWith(r => r.IsCompletedSuccessfully, TaskScheduler.Default))).WaitAsync(s_timeout);
        var after = await harness.EmbedAsync([[20, 21]]).WaitAsync(s_timeout);

        // Assert: the 4-row batch was split in two; the half without 999 succeeded, the other failed.
        Assert.Equal(EmbedErrorKind.Backend, error.Kind);
        Assert.Contains("bad token", error.Message);
        Assert.Equal(2, outcomes.Count(ok => ok));
        Assert.Equal(1, harness.Metrics.Sum("nvembed.worker.batch.retried"));
        Assert.Equal(2, harness.Metrics.Sum("nvembed.worker.failed", "backend"));
        Assert.Single(after.Vectors);
        await first.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task EmbedAsync_OutOfMemoryOnLargeBatch_SplitHalvesSucceed()
    {
        // Arrange: any batch over 200 padded tokens "runs out of device memory".
        var backend = new TestBackend
        {
            Gate = new ManualResetEventSlim(false),
            FailWhen = b => b.Rows * b.SequenceLength > 200 ? new InvalidOperationException("CUDA failure 2: out of memory") : null,
        };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 400 }, backend);
        var first = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var random = new Random(3);
        var sequences = Enumerable.Range(0, 8).Select(_ => SchedulerHarness.RandomSequence(random, 40)).ToArray();
        var queued = sequences.Select(s => harness.EmbedAsync([s])).ToArray();

        // Act
        backend.Gate.Set();
        var results = await Task.WhenAll(queued).WaitAsync(s_timeout);

        // Assert
        for (var i = 0; i < sequences.Length; i++)
        {
            SchedulerHarness.AssertClose(harness.Expected(sequences[i], 8, true), SchedulerHarness.Decode(results[i].Vectors[0]));
        }

        Assert.Equal(1, harness.Metrics.Sum("nvembed.worker.batch.retried"));
        Assert.Equal(0, harness.Metrics.Sum("nvembed.worker.failed"));
        await first.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task EmbedAsync_OutOfMemoryEvenWhenSplit_FailsWithOutOfMemoryKindAndWorkerKeepsServing()
    {
        // Arrange: every batch with id 7 "runs out of memory"; two requests share one batch.
        var backend = new TestBackend
        {
            Gate = new ManualResetEventSlim(false),
            FailWhen = b => b.InputIds.Span.Contains(7L) ? new InvalidOperationException("BFCArena: Failed to allocate memory") : null,
        };
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var first = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var a = harness.EmbedAsync([[7, 2]]);
        var b = harness.EmbedAsync([[7, 4]]);

        // Act
        backend.Gate.Set();
        var errors = await Task.WhenAll(
            Assert.ThrowsAsync<EmbeddingException>(() => a.WaitAsync(s_timeout)),
            Assert.ThrowsAsync<EmbeddingException>(() => b.WaitAsync(s_timeout)));
        var after = await harness.EmbedAsync([[3, 4]]).WaitAsync(s_timeout);

        // Assert: batch of two, then each half once; both fail with the out-of-memory kind.
        Assert.All(errors, e => Assert.Equal(EmbedErrorKind.OutOfMemory, e.Kind));
        Assert.All(errors, e => Assert.Contains("out of memory", e.Message));
        Assert.Equal(5, backend.Calls);
        Assert.Equal(2, harness.Metrics.Sum("nvembed.worker.failed", "out_of_memory"));
        Assert.Single(after.Vectors);
        await first.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task EmbedAsync_OutOfMemoryDownToSmallBatches_SplitsUntilTheyFitAndLowersTheBudget()
    {
        // Arrange: any batch over 50 padded tokens "runs out of device memory"; 8 sequences of 40 share a batch.
        var backend = new TestBackend
        {
            Gate = new ManualResetEventSlim(false),
            FailWhen = b => b.Rows * b.SequenceLength > 50 ? new InvalidOperationException("CUDA failure 2: out of memory") : null,
        };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 400 }, backend);
        var first = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var random = new Random(5);
        var sequences = Enumerable.Range(0, 8).Select(_ => SchedulerHarness.RandomSequence(random, 40)).ToArray();
        var queued = sequences.Select(s => harness.EmbedAsync([s])).ToArray();

        // Act
        backend.Gate.Set();
        var results = await Task.WhenAll(queued).WaitAsync(s_timeout);
        var failedBefore = backend.Batches.Count;
        var later = await Task.WhenAll(sequences.Take(4).Select(s => harness.EmbedAsync([s]))).WaitAsync(s_timeout);

        // Assert: 320 tokens → 2 × 160 → 4 × 80 → 8 × 40 all served; the budget is down to 40 (half of 80),
        // so later sequences run one per batch without another out-of-memory.
        for (var i = 0; i < sequences.Length; i++)
        {
            SchedulerHarness.AssertClose(harness.Expected(sequences[i], 8, true), SchedulerHarness.Decode(results[i].Vectors[0]));
        }

        Assert.Equal(7, harness.Metrics.Sum("nvembed.worker.batch.retried"));
        Assert.Equal(7, harness.Metrics.Sum("nvembed.worker.out_of_memory"));
        Assert.Equal(0, harness.Metrics.Sum("nvembed.worker.failed"));
        Assert.Equal(40, harness.Scheduler.BatchTokens);
        Assert.Equal(4, later.Length);
        Assert.All(backend.Batches.Skip(failedBefore), b => Assert.Equal(1, b.Rows));
        Assert.Contains(harness.Logger.Entries, e => e.Message.Contains("at most 40 tokens", StringComparison.Ordinal));
        await first.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task WarmUp_OversizedBudget_LowersItUntilTheWarmUpBatchFits()
    {
        // Arrange: the device "holds" 600 padded tokens; the budget asks for 4096.
        var backend = new TestBackend(maxTokens: 512)
        {
            FailWhen = b => b.Rows * b.SequenceLength > 600 ? new InvalidOperationException("BFCArena: Failed to allocate memory for requested buffer") : null,
        };
        using var metrics = new MetricCapture();
        var scheduler = new EmbeddingScheduler([backend], new SchedulerOptions { MaxBatchTokens = 4096 }, new SchedulerMetrics(metrics.Factory), new CapturingLogger<EmbeddingScheduler>());

        // Act
        scheduler.WarmUp();
        await scheduler.DisposeAsync().AsTask().WaitAsync(s_timeout);

        // Assert: 8, 4 and 2 rows of 512 ran out of memory (budget 4096 → 2048 → 1024 → 512); 1 × 512 ran.
        Assert.Equal(512, scheduler.BatchTokens);
        Assert.Equal((1, 512, 512), Assert.Single(backend.Batches));
        Assert.Equal(3, metrics.Sum("nvembed.worker.out_of_memory"));
    }

    [Fact]
    public async Task EmbedAsync_BackendCutsDimensions_GetsEachRowsSizeAndTheCallerGetsThatCut()
    {
        // Arrange: a backend that cuts and renormalises rows itself, like the built graph.
        var backend = new TestBackend(appliesDimensions: true) { Gate = new ManualResetEventSlim(false) };
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var first = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        int[] a = [4, 5, 6];
        int[] b = [7, 8];
        var small = harness.EmbedAsync([a], dimensions: 3);
        var full = harness.EmbedAsync([b]);
        var raw = harness.EmbedAsync([a], dimensions: 3, normalize: false);

        // Act
        backend.Gate.Set();
        var results = await Task.WhenAll(small, full, raw).WaitAsync(s_timeout);

        // Assert: sizes 3, 8 and (unnormalised: the full size, then sliced) 8 went to the backend.
        var sizes = backend.Dimensions.Last();
        Assert.Equal([3, 8, 8], sizes.Order().ToArray());
        SchedulerHarness.AssertClose(harness.Expected(a, 3, normalize: true), SchedulerHarness.Decode(results[0].Vectors[0]));
        SchedulerHarness.AssertClose(harness.Expected(b, 8, normalize: true), SchedulerHarness.Decode(results[1].Vectors[0]));
        var fullA = harness.Expected(a, 8, normalize: true);
        SchedulerHarness.AssertClose(fullA[..3], SchedulerHarness.Decode(results[2].Vectors[0]));
        await first.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task EmbedAsync_TwoSessions_BothServeAndNeverRunTwoBatchesAtOnce()
    {
        // Arrange
        var backends = new[]
        {
            new TestBackend { DelayPerBatch = TimeSpan.FromMilliseconds(10) },
            new TestBackend { DelayPerBatch = TimeSpan.FromMilliseconds(10) },
        };
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 64 }, backends);
        var random = new Random(11);
        var requests = Enumerable.Range(0, 30).Select(_ => new[] { SchedulerHarness.RandomSequence(random, random.Next(5, 30)) }).ToArray();

        // Act
        var results = await Task.WhenAll(requests.Select(r => Task.Run(() => harness.EmbedAsync(r)))).WaitAsync(s_timeout);

        // Assert
        for (var i = 0; i < requests.Length; i++)
        {
            SchedulerHarness.AssertClose(harness.Expected(requests[i][0], 8, true), SchedulerHarness.Decode(results[i].Vectors[0]));
        }

        Assert.All(backends, b => Assert.NotEmpty(b.Batches));
        Assert.All(backends, b => Assert.False(b.ConcurrentCallSeen));
    }

    [Theory]
    [InlineData(new[] { 0 }, new int[0], "cu_seq_lengths")]
    [InlineData(new[] { 0, 2 }, new[] { 1, 2, 3 }, "cu_seq_lengths")]
    [InlineData(new[] { 0, 2, 2 }, new[] { 1, 2 }, "empty")]
    [InlineData(new[] { 1, 2 }, new[] { 1, 2 }, "start at 0")]
    [InlineData(new[] { 0, 2 }, new[] { 1, -4 }, "negative")]
    public async Task EmbedAsync_MalformedRequest_ValidationError(int[] offsets, int[] ids, string expected)
    {
        // Arrange
        var backend = new TestBackend();
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);

        // Act
        var error = Assert.Throws<EmbeddingException>(() => { _ = harness.Scheduler.EmbedAsync(ids, offsets, 0, true, null, default); });

        // Assert
        Assert.Equal(EmbedErrorKind.Validation, error.Kind);
        Assert.Contains(expected, error.Message);
        Assert.Equal(0, backend.Calls);
    }

    [Theory]
    [InlineData(65, 0, "at most 64")]
    [InlineData(4, 9, "dimensions")]
    [InlineData(4, -1, "dimensions")]
    public async Task EmbedAsync_TooLongSequenceOrBadDimensions_ValidationError(int length, int dimensions, string expected)
    {
        // Arrange: the model takes 64 tokens.
        await using var harness = new SchedulerHarness(new SchedulerOptions(), new TestBackend(hiddenSize: 8, maxTokens: 64));

        // Act
        var error = Assert.Throws<EmbeddingException>(() => { _ = harness.EmbedAsync([Enumerable.Range(1, length).ToArray()], dimensions); });

        // Assert
        Assert.Equal(EmbedErrorKind.Validation, error.Kind);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task EmbedAsync_SequenceLongerThanBatchBudget_RunsAloneUpToTheModelLimit()
    {
        // Arrange: a CPU-sized budget of 64 tokens on a model that takes 256 (the NIM takes 8192
        // tokens whatever the device's batch budget).
        var backend = new TestBackend(hiddenSize: 8, maxTokens: 256);
        await using var harness = new SchedulerHarness(new SchedulerOptions { MaxBatchTokens = 64 }, backend);
        var random = new Random(3);
        var longSequence = SchedulerHarness.RandomSequence(random, 200);
        var shortSequence = SchedulerHarness.RandomSequence(random, 10);

        // Act
        var result = await harness.EmbedAsync([longSequence, shortSequence]).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(256, harness.Scheduler.MaxSequenceLength);
        SchedulerHarness.AssertClose(harness.Expected(longSequence, 8, normalize: true), SchedulerHarness.Decode(result.Vectors[0]));
        SchedulerHarness.AssertClose(harness.Expected(shortSequence, 8, normalize: true), SchedulerHarness.Decode(result.Vectors[1]));
        Assert.Contains(backend.Batches, b => b.Rows == 1 && b.SequenceLength == 200);
        Assert.All(backend.Batches.Where(b => b.SequenceLength != 200), b => Assert.True(b.Rows * b.SequenceLength <= 64));
    }

    [Fact]
    public async Task WarmUp_BeforeStart_RunsABatchAtTheTokenBudgetOnEverySession()
    {
        // Arrange
        var backends = new[] { new TestBackend(maxTokens: 512), new TestBackend(maxTokens: 512) };
        using var metrics = new MetricCapture();
        var scheduler = new EmbeddingScheduler(backends, new SchedulerOptions { MaxBatchTokens = 2048 }, new SchedulerMetrics(metrics.Factory), new CapturingLogger<EmbeddingScheduler>());

        // Act
        scheduler.WarmUp();
        await scheduler.DisposeAsync().AsTask().WaitAsync(s_timeout);

        // Assert: 4 rows of the model's 512 tokens = the 2048-token budget, once per session.
        Assert.All(backends, b => Assert.Equal((4, 512, 2048), Assert.Single(b.Batches)));
    }

    [Fact]
    public async Task EmbedAsync_AfterLoad_QueueMetricsReturnToZeroAndBatchMetricsRecorded()
    {
        // Arrange
        var backend = new TestBackend();
        await using var harness = new SchedulerHarness(new SchedulerOptions(), backend);

        // Act
        await harness.EmbedAsync([[1, 2, 3], [4, 5, 6, 7, 8]]).WaitAsync(s_timeout);

        // Assert
        Assert.Equal(0, harness.Metrics.Sum("nvembed.worker.queue.depth"));
        Assert.Equal(0, harness.Metrics.Sum("nvembed.worker.queue.tokens"));
        Assert.Equal(backend.Batches.Sum(b => b.Rows * b.SequenceLength), harness.Metrics.Sum("nvembed.worker.batch.tokens"));
        Assert.Equal(backend.Batches.Sum(b => b.Rows), harness.Metrics.Sum("nvembed.worker.batch.rows"));
        Assert.Equal(2, harness.Metrics.Values("nvembed.worker.queue.duration").Count);
        Assert.NotEmpty(harness.Metrics.Values("nvembed.worker.inference.duration"));
        Assert.NotEmpty(harness.Metrics.Values("nvembed.worker.padding.ratio"));
    }

    [Fact]
    public async Task DisposeAsync_WithQueuedRequests_FailsThemUnavailable()
    {
        // Arrange
        var backend = new TestBackend { Gate = new ManualResetEventSlim(false) };
        var harness = new SchedulerHarness(new SchedulerOptions(), backend);
        var running = harness.EmbedAsync([[1]]);
        Assert.True(await backend.RunStarted.WaitAsync(s_timeout));
        var queued = harness.EmbedAsync([[2, 3]]);

        // Act
        var disposing = harness.Scheduler.DisposeAsync().AsTask();
        var error = await Assert.ThrowsAsync<EmbeddingException>(() => queued.WaitAsync(s_timeout));
        backend.Gate.Set();
        await disposing.WaitAsync(s_timeout);

        // Assert
        Assert.Equal(EmbedErrorKind.Unavailable, error.Kind);
        await running.WaitAsync(s_timeout);
        Assert.Throws<EmbeddingException>(() => { _ = harness.EmbedAsync([[4]]); });
        await harness.DisposeAsync();
    }

    [Fact]
    public void Constructor_BackendsOfDifferentSizes_Throws()
    {
        // Arrange
        using var metrics = new MetricCapture();
        IEmbeddingBackend[] backends = [new TestBackend(hiddenSize: 8), new TestBackend(hiddenSize: 16)];

        // Act + Assert
        Assert.Throws<ArgumentException>(() => new EmbeddingScheduler(backends, new SchedulerOptions(), new SchedulerMetrics(metrics.Factory), new CapturingLogger<EmbeddingScheduler>()));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(5);
        }
    }
}
