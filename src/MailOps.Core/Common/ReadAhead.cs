using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace MailOps
{
    /// <summary>
    /// Enumerates a source on its own thread, a bounded number of items ahead of the consumer, so reading (parsing a report
    /// file) and consuming (PowerShell writing each row down the pipeline) run on two cores instead of taking turns on
    /// one. Items come in the source's order, handed over in batches so that neither side waits once per item. Memory
    /// stays bounded: at most <c>batches × batchSize</c> items wait. An exception from the source is rethrown to the
    /// consumer after the items read before it; a consumer that stops early (Select-Object -First, Ctrl+C) stops the
    /// reader and waits for it to let go of the source (its file is closed when the enumeration ends).
    /// </summary>
    public static class ReadAhead
    {
        /// <summary>Items handed over at once.</summary>
        public const int DefaultBatchSize = 1024;

        /// <summary>Batches that may wait for the consumer.</summary>
        public const int DefaultBatches = 8;

        /// <summary>The items of <paramref name="source"/>, read ahead on another thread.</summary>
        public static IEnumerable<T> Of<T>(IEnumerable<T> source, CancellationToken cancellationToken,
            int batchSize = DefaultBatchSize, int batches = DefaultBatches)
        {
            if (source == null) throw new ArgumentNullException(nameof(source));
            if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
            if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches));
            return Iterate(source, cancellationToken, batchSize, batches);
        }

        private static IEnumerable<T> Iterate<T>(IEnumerable<T> source, CancellationToken cancellationToken, int batchSize, int batches)
        {
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            using (var queue = new BlockingCollection<List<T>>(batches))
            {
                ExceptionDispatchInfo? failure = null;
                var reader = Task.Factory.StartNew(() =>
                {
                    var batch = new List<T>(batchSize);
                    try
                    {
                        foreach (var item in source)
                        {
                            stop.Token.ThrowIfCancellationRequested();
                            batch.Add(item);
                            if (batch.Count < batchSize) continue;
                            queue.Add(batch, stop.Token);
                            batch = new List<T>(batchSize);
                        }
                        if (batch.Count > 0) queue.Add(batch, stop.Token);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        // The consumer stopped (or was cancelled): nothing more is wanted.
                    }
                    catch (Exception ex)
                    {
                        // The items read before the failure are the consumer's too.
                        failure = ExceptionDispatchInfo.Capture(ex);
                        try
                        {
                            if (batch.Count > 0) queue.Add(batch, stop.Token);
                        }
                        catch (OperationCanceledException) { }
                    }
                    finally
                    {
                        queue.CompleteAdding();
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

                try
                {
                    foreach (var batch in queue.GetConsumingEnumerable(cancellationToken))
                        foreach (var item in batch)
                            yield return item;
                }
                finally
                {
                    // Early stop, cancellation or the end: the reader stops at its next item and lets go of the source.
                    stop.Cancel();
                    reader.Wait();
                }
                failure?.Throw();
            }
        }
    }
}
