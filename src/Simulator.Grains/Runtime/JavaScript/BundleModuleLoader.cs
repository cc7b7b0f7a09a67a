using System.Collections.Immutable;
using Jint;
using Jint.Runtime.Modules;
using Simulator.Core;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// Resolves a version's imports among its own modules: relative paths against the importing module,
/// bare names (<c>cloudflare:workers</c>) to the modules the runtime adds. Nothing is read from disk.
/// </summary>
internal sealed class BundleModuleLoader(ImmutableArray<WorkerModule> modules) : ModuleLoader
{
    private static readonly Uri Root = new("bundle:///");
    private readonly ImmutableDictionary<string, string> _modules = modules.ToImmutableDictionary(m => m.Name, m => m.Content, StringComparer.Ordinal);

    public override ResolvedSpecifier Resolve(string? referencingModuleLocation, ModuleRequest moduleRequest)
    {
        var specifier = moduleRequest.Specifier;
        if (!specifier.StartsWith("./", StringComparison.Ordinal) && !specifier.StartsWith("../", StringComparison.Ordinal) && !specifier.StartsWith('/'))
        {
            return new ResolvedSpecifier(moduleRequest, specifier, null, SpecifierType.Bare);
        }

        var referrer = referencingModuleLocation is null ? Root : new Uri(Root, referencingModuleLocation.StartsWith(Root.OriginalString, StringComparison.Ordinal) ? referencingModuleLocation[Root.OriginalString.Length..] : referencingModuleLocation);
        var uri = new Uri(referrer, specifier);
        return new ResolvedSpecifier(moduleRequest, Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')), uri, SpecifierType.RelativeOrAbsolute);
    }

    /// <summary>Why the last module could not be found (Jint reports only "Could not load module").</summary>
    public string? LastFailure { get; private set; }

    protected override string LoadModuleContents(Engine engine, ResolvedSpecifier resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (_modules.TryGetValue(resolved.Key, out var content))
        {
            return content;
        }

        LastFailure = resolved.Type == SpecifierType.Bare
            ? $"Module '{resolved.Key}' is not part of the upload and not a runtime module dosim provides (it provides cloudflare:workers). Bundle your dependencies first: npx wrangler deploy --dry-run --outdir dist."
            : $"Module '{resolved.Key}' is imported but was not uploaded (uploaded: {string.Join(", ", _modules.Keys.Order(StringComparer.Ordinal))}). Pass it with another --module.";
        throw new Scripts.ScriptException(LastFailure);
    }
}
