using System.Collections.Immutable;
using Simulator.Core;
using Simulator.Core.Assets;

namespace Simulator.Workers;

/// <summary>
/// A user's own Worker as wrangler knows it: bundled ES modules (the main one first) and the
/// wrangler configuration (wrangler.toml, wrangler.json or wrangler.jsonc) that names its vars,
/// Durable Object bindings, migrations, service bindings and version metadata binding.
/// </summary>
public sealed record WorkerProject
{
    /// <summary>The Worker's name from the configuration; null when it has none.</summary>
    public string? Name { get; init; }

    public required WorkerCode Code { get; init; }

    public ImmutableSortedDictionary<string, string> Vars { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableSortedSet<string> DurableObjectClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The classes its migrations create with <c>new_sqlite_classes</c>.</summary>
    public ImmutableSortedSet<string> SqliteClasses { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>The tag of the last migration; null when the configuration has none.</summary>
    public string? MigrationTag { get; init; }

    public bool UsesSmartPlacement { get; init; }

    public bool HasMtlsBinding { get; init; }

    /// <summary>The content of the project's assets by hash (<see cref="WorkerCode.Assets"/> names them), sent with its versions.</summary>
    public ImmutableDictionary<string, AssetContent> AssetContents { get; init; } = ImmutableDictionary<string, AssetContent>.Empty;

    /// <summary>The version this project makes.</summary>
    public VersionDraft Draft(string? tag = null, string? message = null) => new()
    {
        Script = Code.MainModule,
        Code = Code,
        Tag = tag,
        Message = message,
        Vars = Vars,
        DurableObjectClasses = DurableObjectClasses,
        SqliteClasses = SqliteClasses,
        MigrationTag = MigrationTag,
        UsesSmartPlacement = UsesSmartPlacement,
        HasMtlsBinding = HasMtlsBinding,
        AssetContents = AssetContents,
    };

    /// <summary>
    /// Reads the modules (named by their path relative to the first one's folder, as they import
    /// each other) and, when given, the configuration. Throws <see cref="WorkerProjectException"/>
    /// with what to fix.
    /// </summary>
    public static WorkerProject Load(IReadOnlyList<string> modulePaths, string? configPath)
    {
        ArgumentNullException.ThrowIfNull(modulePaths);
        var config = configPath is null ? WranglerConfig.Empty : WranglerConfig.Read(configPath);
        var paths = modulePaths.Count > 0 ? modulePaths : config.MainModulePath(configPath);
        var project = From(ReadModules(paths), config);
        if (config.Assets() is { } assets)
        {
            var directory = configPath is null ? assets.Directory : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, assets.Directory);
            project = project.WithAssets(AssetFiles.Read(directory), assets.Settings);
        }

        return project;
    }

    /// <summary>
    /// The project with these files (path from the assets folder, "/index.html" → content) as its
    /// assets, served as <paramref name="settings"/> say (the configuration's <c>assets</c> table).
    /// </summary>
    public WorkerProject WithAssets(IReadOnlyDictionary<string, byte[]> files, AssetSet settings)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(settings);
        var entries = files.ToImmutableSortedDictionary(f => f.Key, f => new AssetFile(AssetFiles.Hash(f.Key, f.Value), AssetFiles.ContentType(f.Key)), StringComparer.Ordinal);
        var contents = ImmutableDictionary.CreateBuilder<string, AssetContent>(StringComparer.Ordinal);
        foreach (var (path, bytes) in files)
        {
            contents[entries[path].Hash] = new AssetContent(bytes, entries[path].ContentType);
        }

        return this with { Code = Code with { Assets = settings with { Files = entries } }, AssetContents = contents.ToImmutable() };
    }

    /// <summary>The project from modules already in memory and a parsed configuration.</summary>
    public static WorkerProject From(ImmutableArray<WorkerModule> modules, WranglerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (WorkerCode.Validate(modules) is { } invalid)
        {
            throw new WorkerProjectException(invalid.Message);
        }

        var classes = config.DurableObjectClasses();
        return new WorkerProject
        {
            Name = config.Name,
            Code = new WorkerCode
            {
                Modules = modules,
                DurableObjectBindings = config.DurableObjectBindings(),
                ServiceBindings = config.ServiceBindings(),
                ServiceEntrypoints = config.ServiceEntrypoints(),
                VersionMetadataBinding = config.VersionMetadataBinding(),
                JsonVars = config.JsonVars(),
                CompatibilityDate = config.CompatibilityDate(),
                CompatibilityFlags = config.CompatibilityFlags(),
            },
            Vars = config.Vars(),
            DurableObjectClasses = classes,
            SqliteClasses = config.SqliteClasses(),
            MigrationTag = config.LastMigrationTag(),
            UsesSmartPlacement = config.UsesSmartPlacement(),
            HasMtlsBinding = config.HasMtlsBinding(),
        };
    }

    private static ImmutableArray<WorkerModule> ReadModules(IReadOnlyList<string> paths)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(paths[0]))!;
        var modules = ImmutableArray.CreateBuilder<WorkerModule>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                throw new WorkerProjectException($"Module '{path}' does not exist. Bundle your Worker first (npx wrangler deploy --dry-run --outdir dist) and pass --module dist/index.js.");
            }

            if (full.EndsWith(".ts", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".tsx", StringComparison.OrdinalIgnoreCase))
            {
                throw new WorkerProjectException($"Module '{path}' is TypeScript, which dosim does not compile: bundle it first (npx wrangler deploy --dry-run --outdir dist) and pass --module dist/index.js.");
            }

            var name = Path.GetRelativePath(root, full).Replace('\\', '/');
            if (name.StartsWith("../", StringComparison.Ordinal))
            {
                throw new WorkerProjectException($"Module '{path}' is outside the main module's folder ({root}): pass the main module first, and the others from its folder down.");
            }

            // Other files by wrangler's default module rules: Text and Data modules; Wasm is refused.
            modules.Add(NonJavaScriptModules.DefaultRule(name) switch
            {
                "Text" => NonJavaScriptModules.Text(name, File.ReadAllText(full)),
                "Data" => NonJavaScriptModules.Data(name, File.ReadAllBytes(full)),
                "CompiledWasm" => throw new WorkerProjectException($"Module '{path}' is WebAssembly, which dosim does not simulate: Jint, its JavaScript engine, cannot run it."),
                _ => new WorkerModule(name, File.ReadAllText(full)),
            });
        }

        return modules.ToImmutable();
    }
}

/// <summary>A Worker project that cannot make a version; the message says what to fix.</summary>
public sealed class WorkerProjectException : Exception
{
    public WorkerProjectException()
    {
    }

    public WorkerProjectException(string message)
        : base(message)
    {
    }

    public WorkerProjectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

