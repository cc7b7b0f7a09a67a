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

    public Task<RpcAnswer> InvokeRpc(ServiceCall rpc) => invoker.InvokeRpcAsync(this.GetPrimaryKeyString(), rpc);
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
        var (snapshot, selection, version, script) = await SelectAsync(workerName, request);

        // The version's assets answer first, unless the Worker runs first for this path; as on the
        // platform, an asset's request does not invoke the Worker.
        if (version.Code?.Assets is { } assets && request.Entrypoint is null && await AssetServer.TryServeAsync(grains, assets, request) is { } asset)
        {
            return new InvocationResult { Response = asset, VersionId = version.Id, Reason = (SelectionReasonCode)selection.Reason };
        }

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
            await MisbehaveAsync(version);
            CallerContext.Set(version);
            response = await script.CreateWorker(services).FetchAsync(request, env);
        }
        catch (Exception ex) when (ex is not OrleansException)
        {
            failure = ex;
            response = WorkerResponse.Plain($"Error: {ex.Message}\n", 500);
        }

        telemetry.Record(new Invocation(workerName, snapshot.Deployment!.Id, version, request, null), startedMs, Stopwatch.GetElapsedTime(started), response.Status, failure, context.Console.Drain());
        End(activity, failure, response.Status);
        return new InvocationResult
        {
            Response = response,
            VersionId = version.Id,
            Reason = (SelectionReasonCode)selection.Reason,
            DurableObjectVersionId = context.LastDurableObject?.VersionId,
            DurableObjectResets = context.LastDurableObject?.ResetCount,
            Error = failure?.Message,
        };
    }

    /// <summary>
    /// A JS RPC call over a service binding: the version is selected from the caller's version
    /// headers as for a request, and the call is an invocation of its own ("rpc", the method).
    /// </summary>
    public async Task<RpcAnswer> InvokeRpcAsync(string workerName, ServiceCall rpc)
    {
        ArgumentNullException.ThrowIfNull(rpc);
        var headers = new WorkerRequest { Url = $"https://{workerName}/", Headers = rpc.Headers };
        var (snapshot, selection, version, script) = await SelectAsync(workerName, headers);
        var context = new InvocationContext(headers, clock.Time);
        var env = new WorkerEnv(version, script, grains, context, workerName);

        using var activity = SimulatorTelemetry.Source.StartActivity("worker rpc");
        if (activity is not null)
        {
            SimulatorTelemetry.TagVersion(activity, workerName, version);
            activity.SetTag(SimulatorTelemetry.Tags.Reason, selection.Reason.Name());
            activity.SetTag(SimulatorTelemetry.Tags.RpcMethod, rpc.Call.Member);
        }

        var invocation = new Invocation(workerName, snapshot.Deployment!.Id, version, null, null, rpc.Call.Member, Entrypoint: rpc.Entrypoint ?? "default");
        var startedMs = telemetry.Now();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await MisbehaveAsync(version);
            CallerContext.Set(version);
            var outcome = await script.CreateWorker(services).CallAsync(rpc.Entrypoint, rpc.Call, env);
            var thrown = outcome.Error is { } error ? new Runtime.JavaScript.UncaughtJavaScriptException(error) : null;
            telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), thrown is null ? 200 : 500, thrown, context.Console.Drain());
            End(activity, thrown, thrown is null ? 200 : 500);
            return new RpcAnswer(outcome.Value, outcome.Threw, version.Id, 0);
        }
        catch (Exception ex) when (ex is not OrleansException)
        {
            telemetry.Record(invocation, startedMs, Stopwatch.GetElapsedTime(started), 500, ex, context.Console.Drain());
            End(activity, ex, 500);
            throw;
        }
    }

    private async Task<(DeploymentSnapshot Snapshot, VersionSelection Selection, WorkerVersion Version, IScript Script)> SelectAsync(string workerName, WorkerRequest request)
    {
        var snapshot = await cache.GetAsync(workerName);
        if (snapshot.Ranges is not { } ranges)
        {
            throw new WorkerNotDeployedException($"There is no Worker named '{workerName}': deploy it first (`dosim deploy --name {workerName}`).");
        }

        var overrides = request.Header(VersionHeaders.Overrides);
        var key = request.Header(VersionHeaders.Key);
        var selection = random.Draw(r => VersionSelector.Select(workerName, ranges, overrides, key, r));
        var version = snapshot.Version(selection.VersionId);
        return (snapshot, selection, version, scripts.For(version, workerName));
    }

    private async ValueTask MisbehaveAsync(WorkerVersion version)
    {
        var misbehaviour = SimulationVars.Of(version);
        if (!misbehaviour.None)
        {
            await misbehaviour.ApplyAsync(random, clock.Time, "its Worker");
        }
    }

    private static void End(Activity? activity, Exception? failure, int status)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(SimulatorTelemetry.Tags.Outcome, failure is null ? "ok" : "exception");
        activity.SetTag(SimulatorTelemetry.Tags.Status, status);
        if (failure is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, failure.Message);
        }
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
