using System.Text;
using System.Text.Json;
using Simulator.Contracts;
using Simulator.Grains.Runtime;

namespace Simulator.Grains.Scripts;

/// <summary>The `hello` script: answers with its version's tag, id and vars.</summary>
public sealed class HelloWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        ArgumentNullException.ThrowIfNull(env);
        var body = new StringBuilder($"Hello from version {env.Version.Tag ?? "(untagged)"} ({env.Version.Id})");
        foreach (var (name, value) in env.Vars.Where(v => !v.Key.StartsWith("SIM_", StringComparison.Ordinal)))
        {
            body.Append($" {name}={value}");
        }

        return Task.FromResult(WorkerResponse.Plain(body.Append('\n').ToString()));
    }
}

/// <summary>The `counter` script: /&lt;name&gt; goes to the Counter object idFromName(name).</summary>
public sealed class CounterWorker : IWorker
{
    public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(env);
        var name = Uri.UnescapeDataString(request.Path.Trim('/'));
        if (name.Length == 0)
        {
            return Task.FromResult(WorkerResponse.Plain("Name a counter in the path: /<name>, e.g. /foo\n", 400));
        }

        env.Console.Log("counter", name);
        var counters = env.DurableObject("COUNTER");
        return counters.Get(counters.IdFromName(name)).FetchAsync(request);
    }
}

/// <summary>
/// The `Counter` Durable Object: counts requests in memory (restarts at a reset) and in durable
/// storage (carries on), so a reset is visible in its answers.
/// </summary>
public sealed class Counter(DurableObjectState state, WorkerEnv env) : IDurableObject
{
    private int _inMemory;

    public async Task<WorkerResponse> FetchAsync(WorkerRequest request)
    {
        _inMemory++;
        var durable = await state.Storage.GetAsync<int>("count") + 1;
        await state.Storage.PutAsync("count", durable);
        env.Console.Log($"{state.Name ?? state.Id} counted {durable}");
        var body = JsonSerializer.Serialize(new
        {
            name = state.Name,
            id = state.Id,
            version = env.Version.Id,
            tag = env.Version.Tag,
            inMemory = _inMemory,
            durable,
        });
        return WorkerResponse.Json(body + "\n");
    }
}
