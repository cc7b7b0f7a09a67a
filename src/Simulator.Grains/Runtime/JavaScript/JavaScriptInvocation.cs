using Simulator.Contracts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// One call into a version's JavaScript: the scheduler its host operations resume on (the calling
/// grain's), how many of them are still pending, and the response it ends with.
/// </summary>
internal sealed class JavaScriptInvocation(JavaScriptEngine engine, InvocationContext context, TaskScheduler scheduler)
{
    private readonly TaskCompletionSource<WorkerResponse> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JavaScriptEngine Engine { get; } = engine;

    public InvocationContext Context { get; } = context;

    public TaskScheduler Scheduler { get; } = scheduler;

    /// <summary>Host operations started and not yet resumed (changed only under the engine's gate).</summary>
    public int PendingOperations { get; set; }

    public bool Settled => _response.Task.IsCompleted;

    public Task<WorkerResponse> Response => _response.Task;

    public void Complete(WorkerResponse response) => _response.TrySetResult(response);

    public void Fail(Exception error) => _response.TrySetException(error);
}
