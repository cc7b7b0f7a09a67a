using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains;

/// <summary>
/// One `tail`: its key is the Worker's name and a fresh id, so the enumeration lives on one
/// activation from its first event to its last (a stateless worker may answer each step of an
/// enumeration from another activation, which then knows nothing of it).
/// </summary>
[Reentrant]
public sealed class WorkerTailGrain : Grain, IWorkerTailGrain
{
    private string WorkerName => this.GetPrimaryKeyString().Split('/')[0];

    public async IAsyncEnumerable<TraceEvent> Tail(TailFilter filter, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = GrainFactory.GetGrain<IWorkerQueryGrain>(WorkerName);
        Guid? version = filter.Version is { } spec ? (await query.Version(spec)).Id : (await query.History() is null ? throw NotDeployed() : null);
        bool Wanted(TraceEvent e) => (version is null || e.ScriptVersion.Id == version) && (filter.Outcome is null || e.Outcome == filter.Outcome);
        var silos = await SilosAsync();
        if (!filter.Follow)
        {
            var pages = await Task.WhenAll(silos.Select(s => s.ReadTraceEvents(WorkerName, 0)));
            foreach (var e in pages.SelectMany(p => p.Events).Where(Wanted).OrderBy(e => e.EventTimestampMs))
            {
                yield return e;
            }

            yield break;
        }

        // Each silo's events, as they are recorded there, into one stream.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var merged = Channel.CreateUnbounded<TraceEvent>();
        // A silo's stream that fails ends the tail with its error, rather than falling silent.
        _ = Task.WhenAll(silos.Select(async silo =>
        {
            try
            {
                await foreach (var e in silo.Follow(WorkerName, 0, stop.Token).WithCancellation(stop.Token))
                {
                    if (Wanted(e))
                    {
                        await merged.Writer.WriteAsync(e, stop.Token);
                    }
                }
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                merged.Writer.TryComplete(ex);
            }
            catch (OperationCanceledException)
            {
                // The tail ended.
            }
        })).ContinueWith(_ => merged.Writer.TryComplete(), TaskScheduler.Current);
        try
        {
            await foreach (var e in merged.Reader.ReadAllAsync(cancellation))
            {
                yield return e;
            }
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private async Task<ITelemetryAgentGrain[]> SilosAsync()
    {
        var hosts = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        return [.. hosts.Keys.Select(s => GrainFactory.GetGrain<ITelemetryAgentGrain>(s.ToParsableString()))];
    }

    private RuleRefusedException NotDeployed() =>
        new(new RuleError(RuleError.WorkerNotDeployed, $"Worker '{WorkerName}' does not exist: create it with `dosim deploy --name {WorkerName} --script <script>`."));
}
