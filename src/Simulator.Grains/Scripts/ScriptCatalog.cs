using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Simulator.Grains.Runtime;

namespace Simulator.Grains.Scripts;

/// <summary>A registered script: the code a version runs, its Durable Object classes and bindings.</summary>
public sealed class ScriptDefinition : IScript
{
    private readonly ObjectFactory _workerFactory;
    private readonly ImmutableDictionary<string, (ObjectFactory Factory, bool[] TakesStateThenEnv)> _durableObjectFactories;

    internal ScriptDefinition(string name, Type workerType, ScriptBuilder builder)
    {
        Name = name;
        WorkerType = workerType;
        DurableObjectClasses = builder.Classes.ToImmutableDictionary();
        DurableObjectBindings = builder.DurableObjectBindings.ToImmutableDictionary();
        ServiceBindings = builder.ServiceBindings.ToImmutableDictionary();
        _workerFactory = ActivatorUtilities.CreateFactory(workerType, []);
        _durableObjectFactories = DurableObjectClasses.ToImmutableDictionary(c => c.Key, c => DurableObjectFactory(c.Value));
    }

    public string Name { get; }
    public Type WorkerType { get; }

    /// <summary>Class name → type.</summary>
    public ImmutableDictionary<string, Type> DurableObjectClasses { get; }

    /// <summary>Binding name (e.g. COUNTER) → class name (e.g. Counter).</summary>
    public ImmutableDictionary<string, string> DurableObjectBindings { get; }

    /// <summary>Binding name → worker name.</summary>
    public ImmutableDictionary<string, string> ServiceBindings { get; }

    IWorker IScript.CreateWorker(IServiceProvider services) => (IWorker)_workerFactory(services, []);

    IDurableObject IScript.CreateDurableObject(IServiceProvider services, string className, DurableObjectState state, WorkerEnv env)
    {
        if (!_durableObjectFactories.TryGetValue(className, out var entry))
        {
            throw NoClass(className);
        }

        // Built without LINQ: a reset storm builds 50,000 instances.
        var (takesState, takesEnv) = (entry.TakesStateThenEnv[0], entry.TakesStateThenEnv[1]);
        object?[] arguments = takesState && takesEnv ? [state, env] : takesState ? [state] : takesEnv ? [env] : [];
        return (IDurableObject)entry.Factory(services, arguments);
    }

    // A class's constructor may take its state, its env, both or neither (plus any services).
    private static (ObjectFactory, bool[]) DurableObjectFactory(Type type)
    {
        var parameters = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters().Select(p => p.ParameterType).ToList();
        Type[] candidates = [typeof(DurableObjectState), typeof(WorkerEnv)];
        var takes = candidates.Select(parameters.Contains).ToArray();
        return (ActivatorUtilities.CreateFactory(type, [.. candidates.Where((_, i) => takes[i])]), takes);
    }

    private ScriptException NoClass(string className) =>
        new($"Script '{Name}' has no Durable Object class '{className}' (it has: {(DurableObjectClasses.IsEmpty ? "none" : string.Join(", ", DurableObjectClasses.Keys.Order()))}).");
}

/// <summary>Declares a script's Durable Object classes and bindings.</summary>
public sealed class ScriptBuilder
{
    internal Dictionary<string, Type> Classes { get; } = [];
    internal Dictionary<string, string> DurableObjectBindings { get; } = [];
    internal Dictionary<string, string> ServiceBindings { get; } = [];

    /// <summary>Adds a Durable Object class, bound in env as <paramref name="binding"/> (defaults to the class name in upper case).</summary>
    public ScriptBuilder AddDurableObject<TObject>(string className, string? binding = null)
        where TObject : class, IDurableObject
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(className);
        if (className.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"A Durable Object class name cannot contain '/': '{className}'.", nameof(className));
        }

        Classes[className] = typeof(TObject);
        DurableObjectBindings[binding ?? className.ToUpperInvariant()] = className;
        return this;
    }

    /// <summary>Binds another worker as a service, e.g. AddServiceBinding("AUTH", "auth-worker").</summary>
    public ScriptBuilder AddServiceBinding(string binding, string workerName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(binding);
        ArgumentException.ThrowIfNullOrWhiteSpace(workerName);
        ServiceBindings[binding] = workerName;
        return this;
    }
}

/// <summary>The built-in scripts this silo can run, by name, and the versions' own JavaScript.</summary>
public sealed class ScriptCatalog(IReadOnlyDictionary<string, ScriptDefinition> scripts)
{
    public IReadOnlyDictionary<string, ScriptDefinition> Scripts { get; } = scripts;

    /// <summary>Where JavaScript versions are compiled (once per silo and version); set by the silo's services.</summary>
    internal Runtime.JavaScript.JavaScriptScripts? JavaScript { get; set; }

    /// <summary>The code <paramref name="version"/> runs: its own JavaScript, or the built-in script it names.</summary>
    public IScript For(Core.WorkerVersion version, string workerName)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.Code is not null)
        {
            return (JavaScript ?? throw new InvalidOperationException("This silo has no JavaScript runtime.")).For(version, workerName);
        }

        return Scripts.TryGetValue(version.Script, out var script)
            ? script
            : throw new ScriptException($"No script named '{version.Script}' is registered on this silo (registered: {Names}).");
    }

    public string Names => string.Join(", ", Scripts.Keys.Order());
}

/// <summary>A version's script cannot run what it was asked to (an unknown script or class).</summary>
[GenerateSerializer, Alias("dosim.ScriptException")]
public sealed class ScriptException : Exception
{
    public ScriptException()
    {
    }

    public ScriptException(string message)
        : base(message)
    {
    }

    public ScriptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
