using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Simulator.Core;
using Simulator.Core.Assets;

namespace Simulator.Api;

/// <summary>
/// A Worker upload as wrangler sends it (multipart: a <c>metadata</c> part, then one part per module)
/// read into a version draft. What dosim does not run (service-worker scripts, Wasm and text modules,
/// bindings it does not simulate) is refused by name; nothing is dropped silently.
/// </summary>
public sealed record WorkerUpload
{
    // Bindings the platform has and dosim does not: a Worker that uses one would run wrong here.
    private static readonly HashSet<string> NotSimulatedBindings =
    [
        "kv_namespace", "r2_bucket", "d1", "queue", "ai", "browser", "analytics_engine", "hyperdrive", "vectorize",
        "dispatch_namespace", "workflow", "send_email", "mtls_certificate", "wasm_module", "text_blob", "data_blob",
        "pipelines", "secrets_store_secret", "images", "secret_key", "logfwdr", "ratelimit", "worker_loader",
        "media", "vpc_service",
    ];

    // Metadata the platform uses for what dosim does not model; accepted, and the answer says so.
    private static readonly string[] AcceptedNotSimulated = ["logpush", "observability", "tail_consumers", "limits", "cache_options", "exports"];

    public required VersionDraft Draft { get; init; }

    /// <summary>The <c>workers/message</c> annotation: the version's message, and a plain deploy's.</summary>
    public string? Message { get; init; }

    public CodeUpdateStrategy? CodeUpdateStrategy { get; init; }

    /// <summary>
    /// The upload's assets: the completion token of its assets upload session (null with
    /// <c>keep_assets</c>: the latest version's files), and how they are served. Null when it has none.
    /// </summary>
    public (string? Token, AssetSet Settings)? Assets { get; init; }

    /// <summary>Where dosim does something other than the platform would with this upload.</summary>
    public ImmutableArray<string> Notices { get; init; } = [];

    /// <summary>
    /// Reads an upload of Worker <paramref name="workerName"/>, whose latest version (secrets blanked)
    /// <c>inherit</c> bindings copy from. Throws <see cref="ApiException"/> with what to fix.
    /// </summary>
    public static async Task<WorkerUpload> ReadAsync(byte[] body, string? contentType, string workerName, WorkerVersion? latest)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(media.Boundary).Value is not { Length: > 0 } boundary)
        {
            throw Invalid($"An upload is multipart/form-data with a 'metadata' part and one part per module (got Content-Type '{contentType}'). Upload with wrangler, or build the form as wrangler does.");
        }

        var (metadataText, parts) = await ReadPartsAsync(body, boundary);
        var metadata = ParseObject(metadataText ?? throw Invalid("The upload has no 'metadata' part: send the Worker's metadata (main_module, bindings, …) as a form field named 'metadata'."), "The 'metadata' part");
        var notices = ImmutableArray.CreateBuilder<string>();
        if (metadata["body_part"] is not null)
        {
            throw ApiErrors.NotSimulatedBy("A service-worker format Worker (metadata 'body_part')", "Write it as ES modules (export default { fetch }) and upload with main_module.");
        }

        foreach (var refused in new[] { "containers" })
        {
            if (metadata[refused] is not null)
            {
                throw ApiErrors.NotSimulatedBy($"Metadata '{refused}'", "Remove it from the configuration to run this Worker in dosim.");
            }
        }

        foreach (var accepted in AcceptedNotSimulated)
        {
            if (metadata[accepted] is not null)
            {
                notices.Add($"'{accepted}' is accepted and not simulated by dosim.");
            }
        }

        var mainModule = String(metadata, "main_module")
            ?? throw Invalid("The metadata has no 'main_module': name the module the Worker starts from (e.g. \"main_module\": \"index.js\").");
        var modules = Modules(parts, mainModule);
        var bindings = Bindings(metadata, workerName, latest);
        var (migrationTag, migrationClasses, sqliteClasses) = Migrations(metadata);
        var strategy = metadata["code_update_strategy"] is { } update ? Strategy(update) : null;

        var assets = ReadAssets(metadata, bindings.AssetsBinding, latest);
        var annotations = metadata["annotations"] as JsonObject;
        var code = new WorkerCode
        {
            Modules = modules,
            DurableObjectBindings = bindings.DurableObjects.ToImmutable(),
            ServiceBindings = bindings.Services.ToImmutable(),
            ServiceEntrypoints = bindings.Entrypoints.ToImmutable(),
            VersionMetadataBinding = bindings.VersionMetadata,
            JsonVars = bindings.JsonVars.ToImmutable(),
            CompatibilityDate = String(metadata, "compatibility_date"),
            CompatibilityFlags = [.. Strings(metadata["compatibility_flags"], "compatibility_flags")],
        };
        var classes = new SortedSet<string>(bindings.DurableObjects.Values, StringComparer.Ordinal);
        classes.UnionWith(migrationClasses);
        return new WorkerUpload
        {
            Draft = new VersionDraft
            {
                Script = mainModule,
                Code = code,
                Tag = Annotation(annotations, "workers/tag"),
                Message = Annotation(annotations, "workers/message"),
                Vars = bindings.Vars.ToImmutable(),
                Secrets = bindings.Secrets.ToImmutable(),
                DurableObjectClasses = [.. classes],
                SqliteClasses = [.. sqliteClasses],
                MigrationTag = migrationTag ?? latest?.MigrationTag,
                UsesSmartPlacement = metadata["placement"] is JsonObject placement && String(placement, "mode") == "smart",
                // wrangler retries a failed upload with the same form, so the same boundary: same bytes, same upload.
                UploadKey = Convert.ToHexStringLower(SHA256.HashData([.. Encoding.UTF8.GetBytes(contentType), .. body])),
            },
            Message = Annotation(annotations, "workers/message"),
            CodeUpdateStrategy = strategy,
            Assets = assets,
            Notices = notices.ToImmutable(),
        };
    }

    // metadata.assets: { jwt, config: { html_handling, not_found_handling, run_worker_first, _headers, _redirects } };
    // keep_assets: true keeps the latest version's files (with the settings given, or its own).
    private static (string? Token, AssetSet Settings)? ReadAssets(JsonObject metadata, string? binding, WorkerVersion? latest)
    {
        var keep = metadata["keep_assets"] is JsonValue keepValue && keepValue.TryGetValue<bool>(out var kept) && kept;
        var previous = keep ? latest?.Code?.Assets : null;
        if (metadata["assets"] is not JsonObject assets)
        {
            return previous is not null ? (null, previous with { Binding = binding ?? previous.Binding })
                : binding is null ? null
                : throw Invalid($"Binding '{binding}' of type assets needs the upload's assets (metadata 'assets' with the completion token of an assets upload session): deploy with wrangler, which uploads them.");
        }

        var config = assets["config"] as JsonObject ?? [];
        foreach (var file in new[] { "_headers", "_redirects" })
        {
            if (config[file] is JsonValue text && text.TryGetValue<string>(out var content) && content.Length > 0)
            {
                throw ApiErrors.NotSimulatedBy($"An assets {file} file", $"Remove {file} from the assets directory; set the headers or redirects in your Worker instead.");
            }
        }

        var (first, routes) = config["run_worker_first"] switch
        {
            null => ((bool?)null, (IReadOnlyList<string>?)null),
            JsonValue value when value.TryGetValue<bool>(out var always) => (always, null),
            JsonArray list => (null, Strings(list, "assets run_worker_first")),
            _ => throw Invalid("assets run_worker_first is true, false or a list of routes such as [\"/api/*\", \"!/api/docs\"]."),
        };
        var (settings, error) = AssetSet.FromConfig(binding, String(config, "html_handling"), String(config, "not_found_handling"), first, routes);
        if (settings is null)
        {
            throw Invalid(error!);
        }

        return String(assets, "jwt") is { } token ? ((string?)token, settings)
            : previous is not null ? (null, settings with { Files = previous.Files })
            : throw Invalid("metadata 'assets' has no 'jwt': give the completion token of an assets upload session (or keep_assets: true to keep the latest version's files).");
    }

    /// <summary>A JSON object from a request's text, or an <see cref="ApiException"/> saying what is wrong with it.</summary>
    public static JsonObject ParseObject(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new ApiException(400, ApiErrors.MalformedJson, $"{what} is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ApiException(400, ApiErrors.MalformedJson, $"{what} is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>The platform's <c>code_update_strategy</c> object: <c>{mode, max_delay?}</c>.</summary>
    public static CodeUpdateStrategy Strategy(JsonNode node)
    {
        if (node is not JsonObject update || String(update, "mode") is not { } mode)
        {
            throw new ApiException(400, ApiErrors.InvalidRequest, "code_update_strategy is an object with a 'mode' (\"immediate\" or \"deferred\") and an optional 'max_delay' in seconds.");
        }

        double? delay = update["max_delay"] is JsonValue value && value.TryGetValue<double>(out var seconds) ? seconds
            : update["max_delay"] is null ? null
            : throw new ApiException(400, ApiErrors.InvalidRequest, "code_update_strategy.max_delay is a number of seconds (0 to 86400, millisecond precision).");
        var strategy = new CodeUpdateStrategy(mode, delay);
        return strategy.Validate() is { } error ? throw new ApiException(400, ApiErrors.InvalidRequest, error.Message) : strategy;
    }

    private static async Task<(string? Metadata, List<(string Name, string Type, byte[] Content)> Parts)> ReadPartsAsync(byte[] body, string boundary)
    {
        string? metadata = null;
        var parts = new List<(string Name, string Type, byte[] Content)>();
        var reader = new MultipartReader(boundary, new MemoryStream(body));
        try
        {
            while (await reader.ReadNextSectionAsync() is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } name)
                {
                    throw Invalid("Every part of an upload has a Content-Disposition with a name: 'metadata', or the module's name.");
                }

                using var buffer = new MemoryStream();
                await section.Body.CopyToAsync(buffer);
                var content = buffer.ToArray();
                if (name == "metadata" && !disposition.FileName.HasValue)
                {
                    metadata = Encoding.UTF8.GetString(content);
                }
                else
                {
                    parts.Add((name, section.ContentType?.Split(';')[0].Trim().ToLowerInvariant() ?? "application/javascript+module", content));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            throw Invalid($"The upload is not a well-formed multipart body ({ex.Message}).");
        }

        return (metadata, parts);
    }

    private static ImmutableArray<WorkerModule> Modules(List<(string Name, string Type, byte[] Content)> parts, string mainModule)
    {
        var modules = new List<WorkerModule>();
        foreach (var (name, type, content) in parts)
        {
            switch (type)
            {
                case "application/javascript+module":
                    modules.Add(new WorkerModule(name, Encoding.UTF8.GetString(content)));
                    break;
                case "text/plain":
                    // wrangler's Text rule (.txt, .html, .sql): the module's default export is the text.
                    modules.Add(NonJavaScriptModules.Text(name, Encoding.UTF8.GetString(content)));
                    break;
                case "application/octet-stream":
                    // wrangler's Data rule (.bin): the default export is an ArrayBuffer of the bytes.
                    modules.Add(NonJavaScriptModules.Data(name, content));
                    break;
                case "application/source-map":
                    // Source maps only help the platform print stacks; JS stacks here name the modules themselves.
                    break;
                case "application/wasm":
                    throw ApiErrors.NotSimulatedBy($"Module '{name}' (WebAssembly, wrangler's CompiledWasm rule)", "Jint, dosim's JavaScript engine, cannot run WebAssembly.");
                default:
                    throw ApiErrors.NotSimulatedBy($"Module '{name}' of type {type} (dosim runs ES modules, application/javascript+module, and Text and Data modules)");
            }
        }

        var main = modules.FindIndex(m => m.Name == mainModule);
        if (main < 0)
        {
            throw new ApiException(400, ApiErrors.ScriptInvalid, $"The main_module '{mainModule}' is not among the uploaded parts ({(modules.Count == 0 ? "none" : string.Join(", ", modules.Select(m => m.Name)))}): send a part named '{mainModule}'.");
        }

        var first = modules[main];
        modules.RemoveAt(main);
        modules.Insert(0, first);
        ImmutableArray<WorkerModule> result = [.. modules];
        return WorkerCode.Validate(result) is { } invalid ? throw new ApiException(400, ApiErrors.ScriptInvalid, invalid.Message) : result;
    }

    private sealed class BindingSet
    {
        public ImmutableSortedDictionary<string, string>.Builder Vars { get; } = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        public ImmutableSortedSet<string>.Builder JsonVars { get; } = ImmutableSortedSet.CreateBuilder<string>(StringComparer.Ordinal);
        public ImmutableSortedDictionary<string, string>.Builder Secrets { get; } = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        public ImmutableSortedDictionary<string, string>.Builder DurableObjects { get; } = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        public ImmutableSortedDictionary<string, string>.Builder Services { get; } = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);

        public ImmutableSortedDictionary<string, string>.Builder Entrypoints { get; } = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);

        public string? AssetsBinding { get; set; }
        public string? VersionMetadata { get; set; }
    }

    private static BindingSet Bindings(JsonObject metadata, string workerName, WorkerVersion? latest)
    {
        var set = new BindingSet();
        var kept = Strings(metadata["keep_bindings"], "keep_bindings");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in metadata["bindings"] as JsonArray ?? (metadata["bindings"] is null ? [] : throw Invalid("'bindings' is a list of binding objects.")))
        {
            if (node is not JsonObject binding || String(binding, "name") is not { Length: > 0 } name || String(binding, "type") is not { Length: > 0 } type)
            {
                throw Invalid("Each binding is an object with a 'name' and a 'type'.");
            }

            if (!names.Add(name))
            {
                throw new ApiException(400, ApiErrors.ScriptInvalid, $"Binding name '{name}' is used twice: each binding needs its own name.");
            }

            switch (type)
            {
                case "plain_text":
                    set.Vars[name] = String(binding, "text") ?? throw Invalid($"Binding '{name}' of type plain_text needs a 'text'.");
                    break;
                case "json":
                    set.Vars[name] = binding["json"]?.ToJsonString() ?? "null";
                    set.JsonVars.Add(name);
                    break;
                case "secret_text":
                    set.Secrets[name] = String(binding, "text") ?? throw Invalid($"Binding '{name}' of type secret_text needs a 'text'.");
                    break;
                case "durable_object_namespace":
                    var className = String(binding, "class_name") ?? throw Invalid($"Binding '{name}' of type durable_object_namespace needs a 'class_name'.");
                    if (String(binding, "script_name") is { } script && script != workerName)
                    {
                        throw ApiErrors.NotSimulatedBy($"Durable Object binding '{name}' to class {className} of another Worker ('{script}')");
                    }

                    set.DurableObjects[name] = className;
                    break;
                case "service":
                    set.Services[name] = String(binding, "service") ?? throw Invalid($"Binding '{name}' of type service needs a 'service'.");
                    if (String(binding, "entrypoint") is { } entrypoint)
                    {
                        set.Entrypoints[name] = entrypoint;
                    }

                    break;
                case "version_metadata":
                    set.VersionMetadata = name;
                    break;
                case "assets":
                    set.AssetsBinding = name;
                    break;
                case "inherit":
                    Inherit(set, name, latest);
                    break;
                case var other when NotSimulatedBindings.Contains(other):
                    throw ApiErrors.NotSimulatedBy($"Binding '{name}' of type {other} (dosim simulates plain_text, json, secret_text, durable_object_namespace, service, assets, version_metadata and inherit)");
                default:
                    throw new ApiException(400, ApiErrors.ScriptInvalid, $"Binding '{name}' has an unknown type '{type}': use one of plain_text, json, secret_text, durable_object_namespace, service, assets, version_metadata or inherit.");
            }
        }

        // keep_bindings (wrangler's --keep-vars sends plain_text and json) keeps the latest version's
        // bindings of those types that the upload does not give; secrets are kept anyway.
        foreach (var (name, value) in latest?.Vars ?? ImmutableSortedDictionary<string, string>.Empty)
        {
            var json = latest!.Code?.JsonVars.Contains(name) == true;
            if (!names.Contains(name) && kept.Contains(json ? "json" : "plain_text"))
            {
                set.Vars[name] = value;
                if (json)
                {
                    set.JsonVars.Add(name);
                }
            }
        }

        return set;
    }

    // An inherited binding is the latest version's binding of that name, whatever its type. Secrets
    // are inherited anyway (their values never leave the cluster), so naming one needs only the name.
    private static void Inherit(BindingSet set, string name, WorkerVersion? latest)
    {
        if (latest is null)
        {
            throw new ApiException(400, ApiErrors.ScriptInvalid, $"Binding '{name}' of type inherit has no earlier version to inherit from: give the binding itself.");
        }

        if (latest.Vars.TryGetValue(name, out var value))
        {
            set.Vars[name] = value;
            if (latest.Code?.JsonVars.Contains(name) == true)
            {
                set.JsonVars.Add(name);
            }
        }
        else if (latest.Code?.DurableObjectBindings.TryGetValue(name, out var className) == true)
        {
            set.DurableObjects[name] = className;
        }
        else if (latest.Code?.ServiceBindings.TryGetValue(name, out var service) == true)
        {
            set.Services[name] = service;
            if (latest.Code.ServiceEntrypoints.TryGetValue(name, out var entrypoint))
            {
                set.Entrypoints[name] = entrypoint;
            }
        }
        else if (latest.Code?.VersionMetadataBinding == name)
        {
            set.VersionMetadata = name;
        }
        else if (!latest.Secrets.ContainsKey(name))
        {
            throw new ApiException(400, ApiErrors.ScriptInvalid, $"Binding '{name}' of type inherit names no binding of the latest version ({latest.Id}): give the binding itself.");
        }
    }

    private static (string? Tag, IEnumerable<string> Classes, IEnumerable<string> SqliteClasses) Migrations(JsonObject metadata)
    {
        if (metadata["migrations"] is null)
        {
            return (null, [], []);
        }

        if (metadata["migrations"] is not JsonObject migrations || String(migrations, "new_tag") is not { Length: > 0 } tag)
        {
            throw Invalid("'migrations' is an object with a 'new_tag' and 'steps' (as wrangler sends them from [[migrations]]).");
        }

        var classes = new SortedSet<string>(StringComparer.Ordinal);
        var sqlite = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var step in migrations["steps"] as JsonArray ?? [])
        {
            if (step is not JsonObject migration)
            {
                throw Invalid("Each migration step is an object.");
            }

            foreach (var key in new[] { "new_classes", "new_sqlite_classes" })
            {
                classes.UnionWith(Strings(migration[key], "migrations." + key));
            }

            sqlite.UnionWith(Strings(migration["new_sqlite_classes"], "migrations.new_sqlite_classes"));

            foreach (var renamed in migration["renamed_classes"] as JsonArray ?? [])
            {
                if (renamed is JsonObject pair && String(pair, "from") is { } from && String(pair, "to") is { } to)
                {
                    classes.Remove(from);
                    classes.Add(to);
                    if (sqlite.Remove(from))
                    {
                        sqlite.Add(to);
                    }
                }
            }

            if (migration["transferred_classes"] is not null)
            {
                throw ApiErrors.NotSimulatedBy("A transferred_classes migration");
            }

            var deleted = Strings(migration["deleted_classes"], "migrations.deleted_classes");
            classes.ExceptWith(deleted);
            sqlite.ExceptWith(deleted);
        }

        return (tag, classes, sqlite);
    }

    /// <summary>A string annotation, with an empty one read as none (wrangler sends "" for an omitted --message).</summary>
    internal static string? Annotation(JsonObject? annotations, string key) =>
        annotations?[key] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    internal static string? String(JsonObject node, string key) =>
        node[key] switch
        {
            null => null,
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => throw Invalid($"'{key}' is a string."),
        };

    private static List<string> Strings(JsonNode? node, string key) =>
        node switch
        {
            null => [],
            JsonArray list => list.Select(item => item is JsonValue value && value.TryGetValue<string>(out var text) ? text : throw Invalid($"'{key}' is a list of strings.")).ToList(),
            _ => throw Invalid($"'{key}' is a list of strings."),
        };

    private static ApiException Invalid(string message) => new(400, ApiErrors.ScriptInvalid, message);
}
