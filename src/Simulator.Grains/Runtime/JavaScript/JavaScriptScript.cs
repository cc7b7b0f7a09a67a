using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// A version's own JavaScript as the runtime's <see cref="IScript"/>: its Worker and its Durable
/// Object classes, on a small pool of engines (one engine runs one turn at a time, so one per core
/// keeps the cores busy). An object is pinned to one engine for its life; Worker requests take
/// turns. Module globals are shared by what runs on the same engine.
/// </summary>
internal sealed class JavaScriptScript(WorkerVersion version, Func<JavaScriptEngine> build, int engines) : IScript
{
    private readonly WorkerCode _code = version.Code!;
    private readonly Lazy<JavaScriptEngine>[] _engines = [.. Enumerable.Range(0, engines).Select(_ => new Lazy<JavaScriptEngine>(build, LazyThreadSafetyMode.PublicationOnly))];
    private int _nextWorker;

    public IEnumerable<JavaScriptEngine> Built => _engines.Where(e => e.IsValueCreated).Select(e => e.Value);

    /// <summary>Builds the first engine now, so a version that cannot load fails here.</summary>
    public JavaScriptScript Load()
    {
        _ = _engines[0].Value;
        return this;
    }

    public string Name => _code.MainModule;

    public ImmutableDictionary<string, string> DurableObjectBindings { get; } = version.Code!.DurableObjectBindings.ToImmutableDictionary();

    public ImmutableDictionary<string, string> ServiceBindings { get; } = version.Code!.ServiceBindings.ToImmutableDictionary();

    IWorker IScript.CreateWorker(IServiceProvider services) =>
        new JavaScriptWorker(_engines[(int)((uint)Interlocked.Increment(ref _nextWorker) % (uint)_engines.Length)].Value);

    IDurableObject IScript.CreateDurableObject(IServiceProvider services, string className, DurableObjectState state, WorkerEnv env)
    {
        var (store, generation) = state.Storage.Backing;
        var engine = _engines[(int)((uint)StringComparer.Ordinal.GetHashCode(state.Id) % (uint)_engines.Length)].Value;
        return new JavaScriptDurableObject(engine, className, state.Id, state.Name, store, generation, env.Context, state.Sockets ?? throw new InvalidOperationException("A Durable Object's state without its sockets."), state.Break);
    }

    private sealed class JavaScriptWorker(JavaScriptEngine engine) : IWorker
    {
        public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env) => engine.FetchWorkerAsync(request, env.Context);

        public Task<RpcOutcome> CallAsync(string? entrypoint, RpcCall rpc, WorkerEnv env) => engine.CallWorkerAsync(entrypoint, rpc, env.Context);
    }
}
