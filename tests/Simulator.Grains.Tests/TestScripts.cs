using System.Collections.Concurrent;
using Simulator.Contracts;
using Simulator.Grains.Hosting;
using Simulator.Grains.Runtime;

namespace Simulator.Grains.Tests;

/// <summary>Scripts the tests register beside the built-in ones.</summary>
internal static class TestScripts
{
    public static void Register(DurableObjectsSimulatorOptions options)
    {
        options.AddScript<GatedWorker>("gated", s => s.AddDurableObject<GatedObject>("Gated", "GATED"));
        options.AddScript<StoreWorker>("store", s => s.AddDurableObject<StoreObject>("Store", "STORE"));
        options.AddScript<FrontWorker>("front", s => s.AddServiceBinding("BACK", "back"));
        options.AddScript<EchoHeadersWorker>("echo-headers");
    }
}

/// <summary>Gates that a test opens: a call to the Gated object waits at its gate until the test opens it.</summary>
internal static class Gates
{
    private static readonly ConcurrentDictionary<string, (TaskCompletionSource Entered, TaskCompletionSource Open)> All = new();

    public static (TaskCompletionSource Entered, TaskCompletionSource Open) For(string name) =>
        All.GetOrAdd(name, _ => (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)));
}

public sealed class GatedWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        var ns = env.DurableObject("GATED");
        return ns.Get(ns.IdFromName(request.Path.Trim('/'))).FetchAsync(request);
    }
}

public sealed class GatedObject(DurableObjectState state, WorkerEnv env) : IDurableObject
{
    public async Task<WorkerResponse> FetchAsync(WorkerRequest request)
    {
        var gate = Gates.For(state.Name!);
        gate.Entered.TrySetResult();
        await gate.Open.Task;
        return WorkerResponse.Text(env.Version.Id);
    }
}

/// <summary>Exercises the storage API: the body is a command.</summary>
public sealed class StoreWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        var ns = env.DurableObject("STORE");
        return ns.Get(ns.IdFromName("the-store")).FetchAsync(request);
    }
}

public sealed class StoreObject(DurableObjectState state) : IDurableObject
{
    public async Task<WorkerResponse> FetchAsync(WorkerRequest request)
    {
        var storage = state.Storage;
        switch (request.Path.Trim('/'))
        {
            case "put-many":
                await storage.PutAsync(new Dictionary<string, int> { ["a:1"] = 1, ["a:2"] = 2, ["b:1"] = 3 });
                return WorkerResponse.Text("ok");
            case "list-a":
                return WorkerResponse.Text(string.Join(",", (await storage.ListAsync<int>("a:")).Select(e => $"{e.Key}={e.Value}")));
            case "get-many":
                var many = await storage.GetAsync<int>(["a:1", "b:1", "missing"]);
                return WorkerResponse.Text(string.Join(",", many.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")));
            case "delete":
                return WorkerResponse.Text($"{await storage.DeleteAsync(["a:1", "missing"])} {await storage.DeleteAsync("b:1")}");
            case "bad-key":
                await storage.PutAsync(string.Empty, 1);
                return WorkerResponse.Text("unreachable");
            default:
                return WorkerResponse.Text("unknown command", 400);
        }
    }
}

/// <summary>Calls the `back` worker through a service binding.</summary>
public sealed class FrontWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env) =>
        env.Service("BACK").FetchAsync(WorkerRequest.Get("https://back.localhost/"));
}

/// <summary>Answers with its version id and the version headers it received.</summary>
public sealed class EchoHeadersWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env) =>
        Task.FromResult(WorkerResponse.Text($"{env.Version.Id}|{request.Header(Core.VersionHeaders.Key)}|{request.Header(Core.VersionHeaders.Overrides)}"));
}
