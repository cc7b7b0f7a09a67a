using System.Collections.Immutable;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>A version's own JavaScript as the runtime's <see cref="IScript"/>: its Worker and its Durable Object classes.</summary>
internal sealed class JavaScriptScript(WorkerVersion version, JavaScriptEngine engine) : IScript
{
    private readonly WorkerCode _code = version.Code!;

    public JavaScriptEngine Engine => engine;

    public string Name => _code.MainModule;

    public IReadOnlyCollection<string> DurableObjectClassNames => version.DurableObjectClasses;

    public ImmutableDictionary<string, string> DurableObjectBindings => _code.DurableObjectBindings.ToImmutableDictionary();

    public ImmutableDictionary<string, string> ServiceBindings => _code.ServiceBindings.ToImmutableDictionary();

    IWorker IScript.CreateWorker(IServiceProvider services) => new JavaScriptWorker(engine);

    IDurableObject IScript.CreateDurableObject(IServiceProvider services, string className, DurableObjectState state, WorkerEnv env)
    {
        var (store, generation) = state.Storage.Backing;
        var instance = engine.Construct(className, state.Id, state.Name, store, generation, env.Context);
        return new JavaScriptDurableObject(engine, instance, className, env.Context);
    }

    private sealed class JavaScriptWorker(JavaScriptEngine engine) : IWorker
    {
        public Task<WorkerResponse> FetchAsync(WorkerRequest request, WorkerEnv env) => engine.FetchWorkerAsync(request, env.Context);
    }

    private sealed class JavaScriptDurableObject(JavaScriptEngine engine, Jint.Native.JsValue instance, string className, InvocationContext context) : IDurableObject
    {
        public Task<WorkerResponse> FetchAsync(WorkerRequest request) => engine.FetchObjectAsync(instance, className, request, context);
    }
}
