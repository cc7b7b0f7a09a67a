using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Runtime;

/// <summary>
/// What one invocation carries along: the incoming request (its version headers pass on to
/// service-binding subrequests) and the last Durable Object answer (for the diagnostic headers).
/// </summary>
internal sealed class InvocationContext(WorkerRequest? incoming, TimeProvider time)
{
    public WorkerConsole Console { get; } = new(time);

    /// <summary>The version and reset count of the last Durable Object that answered a call of this invocation.</summary>
    public (Guid VersionId, int ResetCount)? LastDurableObject { get; set; }

    /// <summary>The subrequest with the incoming version key and overrides added where it sets none.</summary>
    public WorkerRequest PassVersionHeaders(WorkerRequest subrequest)
    {
        if (incoming is null)
        {
            return subrequest;
        }

        var headers = subrequest.Headers;
        foreach (var name in new[] { VersionHeaders.Key, VersionHeaders.Overrides })
        {
            if (subrequest.Header(name) is null && incoming.Header(name) is { } value)
            {
                headers = headers.Add(new(name, value));
            }
        }

        return subrequest with { Headers = headers };
    }
}
