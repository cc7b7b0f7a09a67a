using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Core.Platform;

namespace Simulator.Client;

/// <summary>How the CLI prints: blocks and tables for people, JSON with --json.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static void WriteJson<T>(T value) => Console.WriteLine(value is JsonNode node ? PlatformObjects.Print(node) : JsonSerializer.Serialize(value, Json));

    /// <summary>Label/value lines with the values aligned, as the platform's CLI prints a block.</summary>
    public static void Block(params (string Label, string? Value)[] lines) => Block(0, lines);

    /// <summary>A block whose labels are aligned as if one were <paramref name="labelWidth"/> long (a deployment's "Version(s)").</summary>
    public static void Block(int labelWidth, params (string Label, string? Value)[] lines)
    {
        // As wrangler aligns: the longest label, its colon and two spaces.
        var width = Math.Max(labelWidth, lines.Max(l => l.Label.Length)) + 3;
        foreach (var (label, value) in lines)
        {
            Console.WriteLine((label + ":").PadRight(width) + (string.IsNullOrEmpty(value) ? "-" : value));
        }
    }

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in all)
        {
            Console.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    public static string Time(DateTimeOffset time) => time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static string Percent(double share) => (share * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    public static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);

    /// <summary>A version as wrangler prints it (Version ID, Created, Author, Source, Tag, Message), then what dosim adds.</summary>
    public static void Version(WorkerVersion version)
    {
        Block(
            ("Version ID", version.Id.ToString()),
            ("Created", Time(version.CreatedOn)),
            ("Author", PlatformObjects.AuthorEmail),
            ("Source", PlatformObjects.SourceLabel(PlatformObjects.TriggeredBy(version.Source))),
            ("Tag", version.Tag),
            ("Message", version.Message));
        Extras(version);
    }

    private static void Extras(WorkerVersion version) => Block(
        ("Number", version.Number.ToString(CultureInfo.InvariantCulture)),
        ("Script", version.Code is null ? version.Script : $"your own JavaScript, main module {version.Script}"),
        ("Modules", version.Code is null ? null : string.Join(", ", version.Code.Modules.Select(m => $"{m.Name} ({m.Content.Length.ToString("N0", CultureInfo.InvariantCulture)} chars)"))),
        ("Modules hash", version.Code?.Hash),
        ("Bindings", version.Code is null ? null : Bindings(version.Code)),
        ("Durable Objects", version.DurableObjectClasses.IsEmpty ? null : string.Join(", ", version.DurableObjectClasses)),
        ("Migration tag", version.MigrationTag),
        ("Vars", version.Vars.IsEmpty ? null : string.Join(", ", version.Vars.Select(v => $"{v.Key}={v.Value}"))),
        ("Secrets", version.Secrets.IsEmpty ? null : string.Join(", ", version.Secrets.Keys)));

    private static string? Bindings(WorkerCode code)
    {
        var all = code.DurableObjectBindings.Select(b => $"{b.Key} (Durable Object {b.Value})")
            .Concat(code.ServiceBindings.Select(b => $"{b.Key} (service {b.Value})"))
            .Concat(code.VersionMetadataBinding is { } v ? [$"{v} (version metadata)"] : []);
        return string.Join(", ", all) is { Length: > 0 } text ? text : null;
    }

    /// <summary>A deployment as wrangler prints it (Created, Author, Source, Message, each version's block), then what dosim adds.</summary>
    public static void Deployment(Deployment deployment, WorkerHistory history)
    {
        Block(
            "Version(s)".Length,
            ("Created", Time(deployment.CreatedOn)),
            ("Author", PlatformObjects.AuthorEmail),
            ("Source", PlatformObjects.SourceLabel(PlatformObjects.TriggeredBy(deployment.Source))),
            ("Message", PlatformObjects.Message(deployment)));
        var first = true;
        foreach (var share in deployment.Versions)
        {
            var version = history.FindVersion(share.VersionId);
            if (!first)
            {
                Console.WriteLine();
            }

            var percent = $"({share.Percentage.ToString("0.###", CultureInfo.InvariantCulture)}%)";
            Console.WriteLine($"{(first ? "Version(s):" : string.Empty),-13}{percent} {share.VersionId}");
            Console.WriteLine($"{string.Empty,-17}Created:  {(version is null ? "-" : Time(version.CreatedOn))}");
            Console.WriteLine($"{string.Empty,-21}Tag:  {version?.Tag ?? "-"}");
            Console.WriteLine($"{string.Empty,-17}Message:  {(string.IsNullOrEmpty(version?.Message) ? "-" : version.Message)}");
            first = false;
        }

        Block(
            ("Deployment ID", deployment.Id.ToString()),
            ("Migration tag", history.MigrationTag),
            ("Code update", deployment.CodeUpdateStrategy?.Describe() ?? $"none given: the platform's default, {deployment.EffectiveCodeUpdate.Describe()}"));
    }

    /// <summary>A version as the platform's API returns it (secrets by name only), with what dosim adds under "dosim".</summary>
    public static JsonObject VersionJson(WorkerVersion v)
    {
        var shown = PlatformObjects.Version(v);
        shown["dosim"] = new JsonObject
        {
            ["script"] = v.Script,
            ["modules"] = v.Code is null ? null : new JsonArray([.. v.Code.Modules.Select(m => (JsonNode?)new JsonObject { ["name"] = m.Name, ["size"] = m.Content.Length })]),
            ["durable_object_classes"] = new JsonArray([.. v.DurableObjectClasses.Select(c => (JsonNode?)c)]),
            ["migration_tag"] = v.MigrationTag,
            ["has_mtls_binding"] = v.HasMtlsBinding,
            ["uses_smart_placement"] = v.UsesSmartPlacement,
        };
        return shown;
    }

    /// <summary>A new deployment as the platform's API returns it, with the reorder warnings and where it was applied under "dosim".</summary>
    public static JsonObject DeploymentResultJson(DeploymentResult r)
    {
        var shown = PlatformObjects.Deployment(r.Deployment);
        shown["dosim"] = new JsonObject
        {
            ["warnings"] = new JsonArray([.. r.Warnings.Select(w => (JsonNode?)w)]),
            ["applied_on"] = new JsonArray([.. r.Propagation.Applied.Select(a => (JsonNode?)new JsonObject { ["silo"] = a.Silo, ["objects_reset"] = a.ObjectsReset, ["objects_deferred"] = a.ObjectsDeferred, ["deferred_until"] = a.DeferredUntil?.ToString("O", System.Globalization.CultureInfo.InvariantCulture), ["objects_failed"] = a.ObjectsFailed })]),
            ["not_applied_on"] = new JsonArray([.. r.Propagation.Missed.Select(m => (JsonNode?)new JsonObject { ["silo"] = m.Silo, ["reason"] = m.Reason })]),
        };
        return shown;
    }

    public static void Warnings(IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            Console.WriteLine("⚠ " + warning);
        }
    }

    /// <summary>Says how many active objects a deferred update left on their code and until when; otherwise silent when every silo applied the deployment, or says which did not, and when they will.</summary>
    public static void Propagation(PropagationReport report)
    {
        if (report.Applied.Sum(a => a.ObjectsDeferred) is var deferred and > 0)
        {
            var until = report.Applied.Max(a => a.DeferredUntil)!.Value;
            Console.WriteLine($"Deferred code update: {report.Applied.Sum(a => a.ObjectsReset):N0} active Durable Objects reset now, {deferred:N0} keep their code until they hibernate, by {Time(until)} at the latest (simulated clock).");
        }

        foreach (var applied in report.Applied.Where(a => a.ObjectsFailed > 0))
        {
            Console.WriteLine($"⚠ Silo {applied.Silo}: {applied.ObjectsFailed} of {applied.ObjectsFailed + applied.ObjectsReset} reassigned active objects could not reset now ({applied.FirstFailure}); they take their new version on their next call.");
        }

        if (report.Missed.IsEmpty)
        {
            return;
        }

        Console.WriteLine($"⚠ Saved, and applied on {report.Applied.Length} of {report.Applied.Length + report.Missed.Length} silos. Not applied yet on:");
        foreach (var missed in report.Missed)
        {
            Console.WriteLine($"  {missed.Silo}: {missed.Reason}");
        }

        Console.WriteLine($"  Each re-reads the current deployment within {report.ResyncInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s and applies it then (`dosim silos` lists them).");
    }
}
