using Simulator.Contracts;
using Simulator.Core.Tests;
using Simulator.Testing;

namespace Simulator.Grains.Tests;

/// <summary>
/// Reads an object from the query API once the object index lists it: an object's first entry
/// reaches the index moments after its first call returns, not with it (docs/architecture.md, "The
/// object index"), so a test that lists right after that call waits for the entry first.
/// </summary>
internal static class Listed
{
    public static Task<ObjectSummary> ObjectAsync(WorkerHandle worker, string name) =>
        Eventually.Until($"the index to list {name}", TimeSpan.FromSeconds(10),
            async () => (await worker.ObjectsAsync()).SingleOrDefault(o => o.Name == name), o => o is not null)!;
}
