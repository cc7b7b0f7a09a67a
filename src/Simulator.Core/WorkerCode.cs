using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Simulator.Core;

/// <summary>One ES module of a Worker's own code, by the name other modules import it as.</summary>
public sealed record WorkerModule(string Name, string Content);

/// <summary>
/// A version's own JavaScript: its modules (the main module first, as wrangler's <c>main_module</c>)
/// and the bindings its wrangler configuration declares. A version without it runs a built-in script.
/// </summary>
public sealed record WorkerCode
{
    public required ImmutableArray<WorkerModule> Modules
    {
        get => _modules;

        // The hash follows the modules, also through a `with`.
        init => (_modules, _hash) = (value, null);
    }

    /// <summary>Binding name → Durable Object class of this Worker (wrangler's <c>durable_objects.bindings</c>).</summary>
    public ImmutableSortedDictionary<string, string> DurableObjectBindings { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Binding name → Worker name (wrangler's <c>services</c>).</summary>
    public ImmutableSortedDictionary<string, string> ServiceBindings { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Service binding name → the named entrypoint it calls (wrangler's <c>services[].entrypoint</c>); a binding not here calls the default export.</summary>
    public ImmutableSortedDictionary<string, string> ServiceEntrypoints { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>The name of the version metadata binding (wrangler's <c>version_metadata.binding</c>); null when there is none.</summary>
    public string? VersionMetadataBinding { get; init; }

    /// <summary>Vars whose value is JSON (a number, object, …) rather than text: the code gets them parsed.</summary>
    public ImmutableSortedSet<string> JsonVars { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The compatibility date the configuration gives (wrangler's <c>compatibility_date</c>); shown, not simulated.</summary>
    public string? CompatibilityDate { get; init; }

    public ImmutableArray<string> CompatibilityFlags { get; init; } = [];

    /// <summary>The version's static assets (wrangler's <c>assets</c>); null when it has none.</summary>
    public Assets.AssetSet? Assets { get; init; }

    public string MainModule => Modules[0].Name;

    /// <summary>SHA-256 over the modules' names and contents, in hex: equal code, equal hash.</summary>
    public string Hash => _hash ??= ComputeHash(Modules);

    private ImmutableArray<WorkerModule> _modules;
    private string? _hash;

    /// <summary>Why these modules cannot make a version; null when they can.</summary>
    public static RuleError? Validate(ImmutableArray<WorkerModule> modules)
    {
        if (modules.IsDefaultOrEmpty)
        {
            return new RuleError(RuleError.InvalidInput, "A JavaScript version needs at least one module: pass --module dist/index.js (the main module first).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            if (string.IsNullOrWhiteSpace(module.Name) || module.Name.StartsWith('/') || module.Name.IndexOfAny(['\\', '%', '#', '?']) >= 0
                || module.Name.Split('/').Any(part => part is "" or "." or ".."))
            {
                return new RuleError(RuleError.InvalidInput, $"Module name '{module.Name}' is not a plain relative path: name modules as they import each other, e.g. 'index.js' or 'lib/util.js' (no './', '..', '%', '#' or '?').");
            }

            if (!names.Add(module.Name))
            {
                return new RuleError(RuleError.InvalidInput, $"Module '{module.Name}' is given twice: each module name once.");
            }
        }

        return null;
    }

    public bool Equals(WorkerCode? other) =>
        other is not null && Hash == other.Hash && VersionMetadataBinding == other.VersionMetadataBinding
        && DurableObjectBindings.SequenceEqual(other.DurableObjectBindings) && ServiceBindings.SequenceEqual(other.ServiceBindings)
        && ServiceEntrypoints.SequenceEqual(other.ServiceEntrypoints)
        && JsonVars.SequenceEqual(other.JsonVars) && CompatibilityDate == other.CompatibilityDate
        && CompatibilityFlags.SequenceEqual(other.CompatibilityFlags) && Equals(Assets, other.Assets);

    public override int GetHashCode() => Hash.GetHashCode(StringComparison.Ordinal);

    private static string ComputeHash(ImmutableArray<WorkerModule> modules)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var module in modules)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(module.Name));
            sha.AppendData([0]);
            sha.AppendData(Encoding.UTF8.GetBytes(module.Content));
            sha.AppendData([0]);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
