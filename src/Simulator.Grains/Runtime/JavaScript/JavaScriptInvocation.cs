using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// One call into a version's JavaScript: the scheduler its host operations resume on (the calling
/// grain's), how many of them are still pending, and the response it ends with.
/// </summary>
internal sealed class JavaScriptInvocation(InvocationContext context, TaskScheduler scheduler)
{
    private readonly TaskCompletionSource<WorkerResponse> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The Durable Object the call runs on; null for a Worker's fetch.</summary>
    public JavaScriptDurableObject? Owner { get; init; }

    public InvocationContext Context { get; } = context;

    public TaskScheduler Scheduler { get; } = scheduler;

    /// <summary>Host operations started and not yet resumed (changed only under the engine's gate).</summary>
    public int PendingOperations { get; set; }

    public bool Settled => _response.Task.IsCompleted;

    public Task<WorkerResponse> Response => _response.Task;

    // Storage writes the response waits for (the platform's output gate).
    private List<Task>? _writes;

    public void Complete(WorkerResponse response) => _response.TrySetResult(response);

    /// <summary>The response is not sent before <paramref name="write"/> is stored; if it fails, the call fails.</summary>
    public void HoldResponseFor(Task write)
    {
        if (!write.IsCompletedSuccessfully)
        {
            (_writes ??= []).Add(write);
        }
    }

    /// <summary>The response, once every write it was held for is stored.</summary>
    public async Task<WorkerResponse> GatedResponseAsync()
    {
        try
        {
            var response = await _response.Task;
            if (_writes is { } writes)
            {
                await Task.WhenAll(writes);
            }

            return response;
        }
        finally
        {
            // A write held for a call that failed first is still observed.
            foreach (var write in _writes ?? [])
            {
                _ = write.ContinueWith(static t => t.Exception, TaskScheduler.Default);
            }
        }
    }

    public void Fail(Exception error) => _response.TrySetException(error);
}
