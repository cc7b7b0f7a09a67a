using Microsoft.Extensions.Logging;
using Orleans.TestingHost;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Hosting;
using Simulator.Grains.Storage;

namespace Simulator.Testing;

/// <summary>
/// An in-process Orleans cluster (one or more silos) running the simulator, for a user's own tests.
/// Start it once per test class or collection and use <see cref="Worker(string)"/> to drive rollouts.
/// </summary>
public sealed class DurableObjectsTestCluster : IAsyncDisposable
{
    private DurableObjectsTestCluster(InProcessTestCluster cluster) => Cluster = cluster;

    /// <summary>The underlying Orleans test cluster: stop, kill or add silos through it.</summary>
    public InProcessTestCluster Cluster { get; }

    public IClusterClient Client => Cluster.Client;

    /// <param name="silos">How many silos to start.</param>
    /// <param name="configure">Simulator options of every silo (scripts, window, re-sync interval, storage).</param>
    /// <param name="configureSilo">Anything else on every silo's builder: a storage provider of your own, grain call filters.</param>
    public static async Task<DurableObjectsTestCluster> StartAsync(int silos = 1, Action<DurableObjectsSimulatorOptions>? configure = null, Action<ISiloBuilder>? configureSilo = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silos, 1);
        // One store for every silo of the test process: state outlives a stopped silo, as a real store would.
        var store = new SharedMemoryStore();
        var builder = new InProcessTestClusterBuilder((short)silos);

        // Orleans' placement pipeline logs two lines per activation at Information: at 100,000
        // objects the test cluster's file logger became a large share of a test's time.
        builder.ConfigureHost(host => host.Logging.AddFilter("Polly", LogLevel.Warning));
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddDurableObjectsSimulator(o =>
            {
                o.SharedStore = store;
                configure?.Invoke(o);
            });
            configureSilo?.Invoke(silo);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new DurableObjectsTestCluster(cluster);
    }

    /// <summary>
    /// A handle on one Worker: deploy, upload, request, and read its objects. Its deploys name no code
    /// update strategy, so the platform's default applies: an active object keeps its code until it
    /// hibernates (10 s idle) or 300 s pass.
    /// </summary>
    public WorkerHandle Worker(string name) => new(Client, name);

    /// <summary>
    /// A handle whose deploys use <paramref name="codeUpdate"/> unless they name another, e.g.
    /// <c>CodeUpdateStrategy.ImmediateUpdate</c> to see each deploy's resets at once.
    /// </summary>
    public WorkerHandle Worker(string name, CodeUpdateStrategy codeUpdate) => new(Client, name, codeUpdate);

    /// <summary>The cluster's simulated time (virtual when the silos were started with <c>VirtualClockStart</c>).</summary>
    public Task<ClockReading> ClockAsync() => Client.GetGrain<IClockGrain>(0).Read();

    /// <summary>
    /// Moves the cluster's virtual time forward (e.g. <c>AdvanceAsync(TimeSpan.FromSeconds(9))</c>), from
    /// one due timer or alarm to the next, and returns once what they started has finished.
    /// </summary>
    public Task<ClockReading> AdvanceAsync(TimeSpan by) => Client.GetGrain<IClockGrain>(0).Advance(by);

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
