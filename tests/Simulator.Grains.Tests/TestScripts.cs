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
        options.AddScript<BytesWorker>("bytes", s => s.AddDurableObject<BytesObject>("Bytes", "BYTES").AddServiceBinding("BACK", BytesWorker.BackWorker));
        options.AddScript<NamespacesWorker>("namespaces", s => s.AddDurableObject<NameObject>("Left", "LEFT").AddDurableObject<NameObject>("Right", "RIGHT"));
        options.AddScript<SecretWorker>("secret");
        options.AddScript<GuardedWorker>("guarded", s => s.AddDurableObject<GuardedCounter>("Guarded", "GUARDED"));
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
        return WorkerResponse.Plain(env.Version.Id);
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
                return WorkerResponse.Plain("ok");
            case "list-a":
                return WorkerResponse.Plain(string.Join(",", (await storage.ListAsync<int>("a:")).Select(e => $"{e.Key}={e.Value}")));
            case "get-many":
                var many = await storage.GetAsync<int>(["a:1", "b:1", "missing"]);
                return WorkerResponse.Plain(string.Join(",", many.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")));
            case "delete":
                return WorkerResponse.Plain($"{await storage.DeleteAsync(["a:1", "missing"])} {await storage.DeleteAsync("b:1")}");
            case "bad-key":
                await storage.PutAsync(string.Empty, 1);
                return WorkerResponse.Plain("unreachable");
            default:
                return WorkerResponse.Plain("unknown command", 400);
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
        Task.FromResult(WorkerResponse.Plain($"{env.Version.Id}|{request.Header(Core.VersionHeaders.Key)}|{request.Header(Core.VersionHeaders.Overrides)}"));
}

/// <summary>
/// Carries bytes: /worker echoes the body, /object has the Bytes object echo it, /service sends it
/// through the BACK service binding to the `bytes-back` worker's object.
/// </summary>
public sealed class BytesWorker : IWorker
{
    public const string BackWorker = "bytes-back";

    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        switch (request.Path)
        {
            case "/worker":
                return Task.FromResult(WorkerResponse.Bytes(request.Body ?? []));
            case "/object":
                var ns = env.DurableObject("BYTES");
                return ns.Get(ns.IdFromName("echo")).FetchAsync(request);
            default:
                return env.Service("BACK").FetchAsync(request with { Url = $"https://{BackWorker}.localhost/object" });
        }
    }
}

public sealed class BytesObject : IDurableObject
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request) => Task.FromResult(WorkerResponse.Bytes(request.Body ?? []));
}

/// <summary>Answers with the ids that the same name gets in its two namespaces, LEFT and RIGHT.</summary>
public sealed class NamespacesWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        var name = request.Path.Trim('/');
        return Task.FromResult(WorkerResponse.Plain($"{env.DurableObject("LEFT").IdFromName(name)} {env.DurableObject("RIGHT").IdFromName(name)}"));
    }
}

public sealed class NameObject(DurableObjectState state) : IDurableObject
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request) => Task.FromResult(WorkerResponse.Plain(state.Name ?? "(no name)"));
}

/// <summary>Answers with the value of its API_KEY secret: the code sees what clients never do.</summary>
public sealed class SecretWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env) =>
        Task.FromResult(WorkerResponse.Plain(env.Secrets.GetValueOrDefault("API_KEY") ?? "(none)"));
}

public sealed class GuardedWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        var ns = env.DurableObject("GUARDED");
        return ns.Get(ns.IdFromName(request.Path.Trim('/'))).FetchAsync(request);
    }
}

/// <summary>A counter whose code catches its own storage failures and answers 503: the call itself succeeds.</summary>
public sealed class GuardedCounter(DurableObjectState state) : IDurableObject
{
    public async Task<WorkerResponse> FetchAsync(WorkerRequest request)
    {
        var count = await state.Storage.GetAsync<int>("count") + 1;
        try
        {
            await state.Storage.PutAsync("count", count);
        }
        catch (Exception ex)
        {
            return WorkerResponse.Plain("storage failed: " + ex.Message, 503);
        }

        return WorkerResponse.Plain(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
