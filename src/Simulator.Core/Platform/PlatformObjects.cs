using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simulator.Core.Platform;

/// <summary>
/// Versions and deployments in the platform's JSON shapes, as its REST API returns them and wrangler
/// reads them: one definition for dosim's REST API and for <c>dosim … --json</c>.
/// </summary>
public static class PlatformObjects
{
    /// <summary>Who made every version and deployment: dosim has no users.</summary>
    public const string AuthorEmail = "dosim@localhost";

    /// <summary>The <c>metadata.source</c> of what dosim made (wrangler reads <c>workers/triggered_by</c> first).</summary>
    public const string Source = "dosim";

    public const string AutomaticDeploymentMessage = "Automatic deployment on upload.";

    /// <summary>The platform's timestamp: UTC, microseconds, fixed width, so text order is time order.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The version's <c>workers/triggered_by</c> annotation.</summary>
    public static string TriggeredBy(VersionSource source) => source switch
    {
        VersionSource.Deploy => "upload",
        VersionSource.Upload => "version_upload",
        VersionSource.Secret => "secret",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>The deployment's <c>workers/triggered_by</c> annotation.</summary>
    public static string TriggeredBy(DeploymentSource source) => source switch
    {
        DeploymentSource.Deploy => "upload",
        DeploymentSource.VersionsDeploy => "deployment",
        DeploymentSource.Rollback => "rollback",
        DeploymentSource.Secret => "secret",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>How wrangler labels a <c>workers/triggered_by</c> value in its listings.</summary>
    public static string SourceLabel(string triggeredBy) => triggeredBy switch
    {
        "upload" => "Upload",
        "secret" => "Secret Change",
        "rollback" => "Rollback",
        "promotion" => "Promotion",
        _ => $"Unknown ({triggeredBy})",
    };

    /// <summary>A deployment's message as the platform shows it: a plain deploy without one says it was automatic.</summary>
    public static string? Message(Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return deployment.Message ?? (deployment.Source == DeploymentSource.Deploy ? AutomaticDeploymentMessage : null);
    }

    /// <summary>A version object (GET …/versions/{id}); secret values are never in it.</summary>
    public static JsonObject Version(WorkerVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var created = Timestamp(version.CreatedOn);
        var annotations = new JsonObject { ["workers/triggered_by"] = TriggeredBy(version.Source) };
        if (!string.IsNullOrEmpty(version.Message))
        {
            annotations["workers/message"] = version.Message;
        }

        if (!string.IsNullOrEmpty(version.Tag))
        {
            annotations["workers/tag"] = version.Tag;
        }

        var runtime = new JsonObject();
        if (version.Code?.CompatibilityDate is { } date)
        {
            runtime["compatibility_date"] = date;
        }

        // wrangler prints an empty "Compatibility Flags:" line for an empty list: the platform omits it.
        if (version.Code is { CompatibilityFlags.IsEmpty: false } code)
        {
            runtime["compatibility_flags"] = new JsonArray([.. code.CompatibilityFlags.Select(f => (JsonNode?)f)]);
        }

        runtime["usage_model"] = "standard";
        runtime["limits"] = new JsonObject { ["cpu_ms"] = 30000 };
        return new JsonObject
        {
            ["id"] = version.Id.ToString(),
            ["number"] = version.Number,
            ["metadata"] = new JsonObject
            {
                ["author_id"] = string.Empty,
                ["author_email"] = AuthorEmail,
                ["source"] = Source,
                ["created_on"] = created,
                ["modified_on"] = created,
                ["has_preview"] = false,
            },
            ["annotations"] = annotations,
            ["resources"] = new JsonObject
            {
                ["script"] = new JsonObject
                {
                    ["etag"] = Etag(version),
                    ["handlers"] = new JsonArray("fetch"),
                    ["last_deployed_from"] = Source,
                },
                ["script_runtime"] = runtime,
                ["bindings"] = Bindings(version),
            },
        };
    }

    /// <summary>A deployment object (items of GET …/deployments).</summary>
    public static JsonObject Deployment(Deployment deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var annotations = new JsonObject();
        if (Message(deployment) is { } message)
        {
            annotations["workers/message"] = message;
        }

        annotations["workers/triggered_by"] = TriggeredBy(deployment.Source);
        var result = new JsonObject
        {
            ["id"] = deployment.Id.ToString(),
            ["source"] = Source,
            ["strategy"] = "percentage",
            ["author_email"] = AuthorEmail,
            ["created_on"] = Timestamp(deployment.CreatedOn),
            ["annotations"] = annotations,
            ["versions"] = new JsonArray([.. deployment.Versions.Select(v => (JsonNode?)new JsonObject
            {
                ["version_id"] = v.VersionId.ToString(),
                ["percentage"] = Number(v.Percentage),
            })]),
        };
        // The strategy in effect, as the platform's deployment answers echo it: the default when none was given.
        var strategy = deployment.EffectiveCodeUpdate;
        var shown = new JsonObject { ["mode"] = strategy.Mode };
        if (strategy.MaxDelaySeconds is { } delay)
        {
            shown["max_delay"] = delay;
        }

        result["code_update_strategy"] = shown;

        return result;
    }

    /// <summary>The version's bindings as the platform lists them: vars, secrets (names only), Durable Objects, services, version metadata.</summary>
    public static JsonArray Bindings(WorkerVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var bindings = new JsonArray();
        foreach (var (name, value) in version.Vars)
        {
            bindings.Add(version.Code?.JsonVars.Contains(name) == true
                ? new JsonObject { ["name"] = name, ["type"] = "json", ["json"] = JsonNode.Parse(value) }
                : new JsonObject { ["name"] = name, ["type"] = "plain_text", ["text"] = value });
        }

        foreach (var name in version.Secrets.Keys)
        {
            bindings.Add(new JsonObject { ["name"] = name, ["type"] = "secret_text" });
        }

        if (version.Code is { } code)
        {
            foreach (var (name, className) in code.DurableObjectBindings)
            {
                bindings.Add(new JsonObject { ["name"] = name, ["type"] = "durable_object_namespace", ["class_name"] = className });
            }

            foreach (var (name, service) in code.ServiceBindings)
            {
                var binding = new JsonObject { ["name"] = name, ["type"] = "service", ["service"] = service, ["environment"] = "production" };
                if (code.ServiceEntrypoints.TryGetValue(name, out var entrypoint))
                {
                    binding["entrypoint"] = entrypoint;
                }

                bindings.Add(binding);
            }

            if (code.Assets?.Binding is { } assets)
            {
                bindings.Add(new JsonObject { ["name"] = assets, ["type"] = "assets" });
            }

            if (code.VersionMetadataBinding is { } metadata)
            {
                bindings.Add(new JsonObject { ["name"] = metadata, ["type"] = "version_metadata" });
            }
        }

        return bindings;
    }

    /// <summary>A hash of what the version runs: its modules, or the built-in script's name.</summary>
    public static string Etag(WorkerVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Code?.Hash ?? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("dosim/script/" + version.Script)));
    }

    /// <summary>JSON text of a shape, indented as wrangler prints its <c>--json</c>.</summary>
    public static string Print(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.ToJsonString(Indented);
    }

    // 100.000m would print as 100.000: the platform prints 100.
    private static JsonValue Number(decimal value)
    {
        var normal = value / 1.000000000000000000000000000000000m;
        return decimal.IsInteger(normal) ? JsonValue.Create((long)normal) : JsonValue.Create(normal);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
