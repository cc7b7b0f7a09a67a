using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Simulator.Core.Assets;
using Tomlyn;
using Tomlyn.Model;

namespace Simulator.Workers;

/// <summary>
/// The parts of a wrangler configuration dosim reads, from TOML (wrangler.toml) or JSON with
/// comments (wrangler.json, wrangler.jsonc). A binding dosim does not simulate is refused with
/// its name, never silently dropped.
/// </summary>
public sealed class WranglerConfig
{
    // Bindings the platform has and dosim does not: a Worker that uses one would run wrong here.
    private static readonly string[] NotSimulated =
    [
        "kv_namespaces", "r2_buckets", "d1_databases", "queues", "ai", "browser", "analytics_engine_datasets",
        "hyperdrive", "vectorize", "dispatch_namespaces", "workflows", "send_email", "tail_consumers", "unsafe",
        "wasm_modules", "text_blobs", "data_blobs", "pipelines", "secrets_store_secrets", "images",
    ];

    private readonly IReadOnlyDictionary<string, object?> _root;

    private WranglerConfig(IReadOnlyDictionary<string, object?> root) => _root = root;

    public static WranglerConfig Empty { get; } = new(new Dictionary<string, object?>());

    public string? Name => _root.GetValueOrDefault("name") as string;

    /// <summary>Reads a configuration file; its extension says its format.</summary>
    public static WranglerConfig Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new WorkerProjectException($"The configuration '{path}' does not exist: pass --config wrangler.toml (or wrangler.jsonc).");
        }

        var format = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".toml" => "toml",
            ".json" or ".jsonc" => "json",
            var other => throw new WorkerProjectException($"The configuration '{path}' is neither TOML (.toml) nor JSON (.json, .jsonc) (got '{other}')."),
        };
        return Parse(File.ReadAllText(path), format, path);
    }

    /// <summary>Parses a configuration's text; <paramref name="format"/> is "toml" or "json" (comments and trailing commas allowed).</summary>
    public static WranglerConfig Parse(string text, string format, string source = "the configuration")
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyDictionary<string, object?> root;
        try
        {
            root = format switch
            {
                "toml" => (IReadOnlyDictionary<string, object?>)Plain(TomlSerializer.Deserialize<TomlTable>(text))!,
                "json" => Plain(JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }).RootElement) as IReadOnlyDictionary<string, object?>
                    ?? throw new WorkerProjectException($"{source} is not a JSON object."),
                _ => throw new ArgumentException($"Unknown configuration format '{format}': toml or json.", nameof(format)),
            };
        }
        catch (TomlException ex)
        {
            throw new WorkerProjectException($"{source} is not valid TOML: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new WorkerProjectException($"{source} is not valid JSON: {ex.Message}", ex);
        }

        // wrangler's default rules (Text: .txt .html .sql; Data: .bin) are what dosim deploy applies;
        // other globs would silently load a file as JavaScript.
        if (root.ContainsKey("rules"))
        {
            throw new WorkerProjectException($"{source} declares module 'rules', which dosim deploy does not read: it applies wrangler's default rules (Text: .txt, .html, .sql; Data: .bin). Rename the files to those extensions, or deploy with wrangler, which applies your rules and uploads the modules typed.");
        }

        foreach (var key in NotSimulated)
        {
            if (root.ContainsKey(key))
            {
                throw new WorkerProjectException($"{source} declares '{key}', a binding dosim does not simulate: remove it to run this Worker in dosim (dosim simulates vars, secrets, Durable Objects, service bindings, static assets and version metadata).");
            }
        }

        return new WranglerConfig(root);
    }

    /// <summary>The main module's path from <c>main</c>, relative to the configuration's folder.</summary>
    public IReadOnlyList<string> MainModulePath(string? configPath)
    {
        var main = _root.GetValueOrDefault("main") as string
            ?? throw new WorkerProjectException("No module to run: pass --module dist/index.js (or set main in the configuration).");
        return [configPath is null ? main : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, main)];
    }

    public ImmutableSortedDictionary<string, string> Vars() =>
        Table("vars").ToImmutableSortedDictionary(v => v.Key, v => v.Value as string ?? JsonSerializer.Serialize(v.Value), StringComparer.Ordinal);

    public ImmutableSortedSet<string> JsonVars() => [.. Table("vars").Where(v => v.Value is not string).Select(v => v.Key)];

    public ImmutableSortedDictionary<string, string> DurableObjectBindings()
    {
        var bindings = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var binding in Tables(Table("durable_objects").GetValueOrDefault("bindings"), "durable_objects.bindings"))
        {
            var name = Required(binding, "name", "durable_objects.bindings");
            var className = Required(binding, "class_name", "durable_objects.bindings");
            if (binding.GetValueOrDefault("script_name") is string script && script != Name)
            {
                throw new WorkerProjectException($"Durable Object binding '{name}' names class {className} of another Worker ('{script}'), which dosim does not simulate: bind classes of this Worker.");
            }

            bindings[name] = className;
        }

        return bindings.ToImmutable();
    }

    /// <summary>The classes its migrations create SQLite-backed (<c>new_sqlite_classes</c>), followed through renames, less the deleted ones.</summary>
    public ImmutableSortedSet<string> SqliteClasses()
    {
        var classes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var migration in Migrations())
        {
            classes.UnionWith(Strings(migration.GetValueOrDefault("new_sqlite_classes")));
            foreach (var renamed in Tables(migration.GetValueOrDefault("renamed_classes"), "migrations.renamed_classes"))
            {
                if (classes.Remove(Required(renamed, "from", "migrations.renamed_classes")))
                {
                    classes.Add(Required(renamed, "to", "migrations.renamed_classes"));
                }
            }

            classes.ExceptWith(Strings(migration.GetValueOrDefault("deleted_classes")));
        }

        return [.. classes];
    }

    /// <summary>The classes this Worker exports: those its bindings name and those its migrations create, less the deleted ones.</summary>
    public ImmutableSortedSet<string> DurableObjectClasses()
    {
        var classes = new SortedSet<string>(DurableObjectBindings().Values, StringComparer.Ordinal);
        foreach (var migration in Migrations())
        {
            foreach (var key in new[] { "new_classes", "new_sqlite_classes" })
            {
                classes.UnionWith(Strings(migration.GetValueOrDefault(key)));
            }

            foreach (var renamed in Tables(migration.GetValueOrDefault("renamed_classes"), "migrations.renamed_classes"))
            {
                classes.Remove(Required(renamed, "from", "migrations.renamed_classes"));
                classes.Add(Required(renamed, "to", "migrations.renamed_classes"));
            }

            classes.ExceptWith(Strings(migration.GetValueOrDefault("deleted_classes")));
        }

        return [.. classes];
    }

    public string? LastMigrationTag() => Migrations().Select(m => m.GetValueOrDefault("tag") as string).LastOrDefault();

    public ImmutableSortedDictionary<string, string> ServiceBindings() => Services("service");

    /// <summary>Binding → named entrypoint, for the service bindings that name one.</summary>
    public ImmutableSortedDictionary<string, string> ServiceEntrypoints() => Services("entrypoint");

    // One field of each [[services]] table, by binding name; "service" is required, "entrypoint" optional.
    private ImmutableSortedDictionary<string, string> Services(string field)
    {
        var bindings = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var service in Tables(_root.GetValueOrDefault("services"), "services"))
        {
            var binding = Required(service, "binding", "services");
            var worker = Required(service, "service", "services");
            if (field == "service")
            {
                bindings[binding] = worker;
            }
            else if (service.GetValueOrDefault(field) is { } entrypoint)
            {
                bindings[binding] = entrypoint as string is { Length: > 0 } name
                    ? name
                    : throw new WorkerProjectException($"Service binding '{binding}' has an entrypoint that is not a name: give the name of a class the Worker '{worker}' exports (entrypoint = \"MyEntrypoint\").");
            }
        }

        return bindings.ToImmutable();
    }

    /// <summary>
    /// The configuration's <c>assets</c> table: the directory (relative to the configuration's
    /// folder, as wrangler reads it) and how the assets are served; null when it has none.
    /// </summary>
    public (string Directory, AssetSet Settings)? Assets()
    {
        if (_root.GetValueOrDefault("assets") is null)
        {
            return null;
        }

        var table = Table("assets");
        var directory = table.GetValueOrDefault("directory") as string
            ?? throw new WorkerProjectException("assets needs a directory: assets = { directory = \"./public\" }.");
        var first = table.GetValueOrDefault("run_worker_first");
        if (first is not (null or bool or IReadOnlyList<object?>) || first is IReadOnlyList<object?> list && list.Any(r => r is not string))
        {
            throw new WorkerProjectException($"assets.run_worker_first is true, false or a list of routes such as [\"/api/*\", \"!/api/docs\"] (got {first}).");
        }

        var (settings, error) = AssetSet.FromConfig(
            table.GetValueOrDefault("binding") as string,
            table.GetValueOrDefault("html_handling") as string,
            table.GetValueOrDefault("not_found_handling") as string,
            first as bool?,
            (first as IReadOnlyList<object?>)?.Cast<string>().ToList());
        return settings is null ? throw new WorkerProjectException(error!) : (directory, settings);
    }

    public string? CompatibilityDate() => _root.GetValueOrDefault("compatibility_date") as string;

    public ImmutableArray<string> CompatibilityFlags() => [.. Strings(_root.GetValueOrDefault("compatibility_flags"))];

    public string? VersionMetadataBinding() => Table("version_metadata").GetValueOrDefault("binding") as string;

    public bool UsesSmartPlacement() => Table("placement").GetValueOrDefault("mode") is "smart";

    public bool HasMtlsBinding() => _root.ContainsKey("mtls_certificates");

    /// <summary>
    /// <c>durable_objects.code_update_strategy</c>: how a deploy of this configuration asks active
    /// Durable Objects to take the new code; null when it is not given.
    /// </summary>
    public Core.CodeUpdateStrategy? DurableObjectsCodeUpdate()
    {
        if (Table("durable_objects").GetValueOrDefault("code_update_strategy") is not { } value)
        {
            return null;
        }

        const string Shape = "durable_objects.code_update_strategy is a table with a 'mode' (\"immediate\" or \"deferred\") and, for deferred, an optional 'max_delay' in seconds (0 to 86400), e.g. { mode = \"deferred\", max_delay = 30 }.";
        if (value is not IReadOnlyDictionary<string, object?> table || table.GetValueOrDefault("mode") is not string mode)
        {
            throw new WorkerProjectException(Shape);
        }

        double? delay = table.GetValueOrDefault("max_delay") switch
        {
            null => null,
            long whole => whole,
            int whole => whole,
            double seconds => seconds,
            decimal seconds => (double)seconds,
            _ => throw new WorkerProjectException(Shape),
        };
        var strategy = new Core.CodeUpdateStrategy(mode, delay);
        return strategy.Validate() is { } error ? throw new WorkerProjectException($"durable_objects.code_update_strategy: {error.Message}") : strategy;
    }

    private IEnumerable<IReadOnlyDictionary<string, object?>> Migrations() => Tables(_root.GetValueOrDefault("migrations"), "migrations");

    private IReadOnlyDictionary<string, object?> Table(string key) =>
        _root.GetValueOrDefault(key) switch
        {
            null => new Dictionary<string, object?>(),
            IReadOnlyDictionary<string, object?> table => table,
            _ => throw new WorkerProjectException($"'{key}' in the configuration is not a table."),
        };

    private static IEnumerable<IReadOnlyDictionary<string, object?>> Tables(object? value, string key) =>
        value switch
        {
            null => [],
            IReadOnlyList<object?> list => list.Select(item => item as IReadOnlyDictionary<string, object?> ?? throw new WorkerProjectException($"Each entry of '{key}' is a table.")),
            _ => throw new WorkerProjectException($"'{key}' in the configuration is not a list of tables."),
        };

    private static IEnumerable<string> Strings(object? value) =>
        value is IReadOnlyList<object?> list ? list.Select(v => v as string ?? throw new WorkerProjectException("Class names in migrations and compatibility flags are strings.")) : [];

    private static string Required(IReadOnlyDictionary<string, object?> table, string key, string where) =>
        table.GetValueOrDefault(key) as string is { Length: > 0 } value ? value : throw new WorkerProjectException($"An entry of '{where}' has no '{key}'.");

    // TOML and JSON both become dictionaries, lists, strings, numbers and booleans.
    private static object? Plain(object? value) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int i => (long)i,
        TomlDateTime date => date.ToString(),
        TomlTable table => table.ToDictionary(e => e.Key, e => Plain(e.Value)) as IReadOnlyDictionary<string, object?>,
        IDictionary dictionary => dictionary.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture)!, k => Plain(dictionary[k])) as IReadOnlyDictionary<string, object?>,
        IEnumerable list => list.Cast<object?>().Select(Plain).ToList() as IReadOnlyList<object?>,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static object? Plain(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)) as IReadOnlyDictionary<string, object?>,
        JsonValueKind.Array => element.EnumerateArray().Select(Plain).ToList() as IReadOnlyList<object?>,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var whole) ? whole : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
