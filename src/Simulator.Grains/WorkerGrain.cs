using System.Diagnostics;
using Orleans.Concurrency;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Runtime;
using Simulator.Grains.Scripts;
using Simulator.Grains.Telemetry;

namespace Simulator.Grains;

/// <summary>Runs one request of a Worker (keyed by its name), local to the caller's silo.</summary>
[StatelessWorker]
public sealed class WorkerGrain(IWorkerInvoker invoker) : Grain, IWorkerGrain
{
    public Task<InvocationResult> Invoke(WorkerRequest request) => invoker.InvokeAsync(this.GetPrimaryKeyString(), request);
}

/// <summary>
/// Runs one request on the version Core's selector picks from this silo's copy of the deployment:
/// override, then version key, then random.
/// </summary>
public sealed class WorkerInvoker(DeploymentCache cache, ScriptCatalog scripts, VersionRandom random, IGrainFactory grains, IServiceProvider services, TelemetryRecorder telemetry, Time.SimulatedClock clock) : IWorkerInvoker
{
    public async Task<InvocationResult> InvokeAsync(string workerName, WorkerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = await cache.GetAsync(workerName);
        if (snapshot.Ranges is not { } ranges)
        {
            throw new WorkerNotDeployedException($"There is no Worker named '{workerName}': deploy it first (`dosim deploy --name {workerName}`).");
        }

        var overrides = request.Header(VersionHeaders.Overrides);
        var key = request.Header(VersionHeaders.Key);
        var selection = random.Draw(r => VersionSelector.Select(workerName, ranges, overrides, key, r));
        var version = snapshot.Version(selection.VersionId);
        var script = scripts.For(version, workerName);
        var context = new InvocationContext(request, clock.Time);
        var env = new WorkerEnv(version, script, grains, context, workerName);

        using var activity = SimulatorTelemetry.Source.StartActivity("worker fetch");
        if (activity is not null)
        {
            SimulatorTelemetry.TagVersion(activity, workerName, version);
            activity.SetTag(SimulatorTelemetry.Tags.Reason, selection.Reason.Name());
        }

        var startedMs = telemetry.Now();
        var started = Stopwatch.GetTimestamp();
        WorkerResponse response;
        Exception? failure = null;
        try
        {
            response = await RunAsync(script, version, request, env);
        }
        catch (Exception ex) when (ex is not OrleansException)
        {
            failure = ex;
            response = WorkerResponse.Plain($"Error: {ex.Message}\n", 500);
        }

        telemetry.Record(new Invocation(workerName, snapshot.Deployment!.Id, version, request, null), startedMs, Stopwatch.GetElapsedTime(started), response.Status, failure, context.Console.Drain());
        if (activity is not null)
        {
            activity.SetTag(SimulatorTelemetry.Tags.Outcome, failure is null ? "ok" : "exception");
            activity.SetTag(SimulatorTelemetry.Tags.Status, response.Status);
            if (failure is not null)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.Message);
            }
        }

        var error = failure?.Message;

        return new InvocationResult
        {
            Response = response,
            VersionId = version.Id,
            Reason = (SelectionReasonCode)selection.Reason,
            DurableObjectVersionId = context.LastDurableObject?.VersionId,
            DurableObjectResets = context.LastDurableObject?.ResetCount,
            Error = error,
        };
    }

    private async Task<WorkerResponse> RunAsync(IScript script, WorkerVersion version, WorkerRequest request, WorkerEnv env)
    {
        var misbehaviour = SimulationVars.Of(version);
        if (!misbehaviour.None)
        {
            await misbehaviour.ApplyAsync(random, clock.Time, "its Worker");
        }

        return await script.CreateWorker(services).FetchAsync(request, env);
    }
}

/// <summary>Thrown on purpose by a version with SIM_ERROR_RATE, in a Worker or a Durable Object.</summary>
[GenerateSerializer, Alias("dosim.SimulatedFailureException")]
public sealed class SimulatedFailureException : Exception
{
    public SimulatedFailureException()
    {
    }

    public SimulatedFailureException(string message)
        : base(message)
    {
    }

    public SimulatedFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
