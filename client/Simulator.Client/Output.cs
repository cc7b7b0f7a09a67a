using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Simulator.Contracts;
using Simulator.Core;

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

    public static void WriteJson<T>(T value) => Console.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Label/value lines with the values aligned, as the platform's CLI prints a block.</summary>
    public static void Block(params (string Label, string? Value)[] lines)
    {
        var width = lines.Max(l => l.Label.Length) + 2;
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

    public static string Source(VersionSource source) => Kebab(source.ToString());

    public static string Kebab(string name) => JsonNamingPolicy.KebabCaseLower.ConvertName(name);

    public static void Version(WorkerVersion version) => Block(
        ("Version ID", version.Id.ToString()),
        ("Created", Time(version.CreatedOn)),
        ("Number", version.Number.ToString(CultureInfo.InvariantCulture)),
        ("Tag", version.Tag),
        ("Message", version.Message),
        ("Source", Source(version.Source)),
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

    public static void Deployment(Deployment deployment, WorkerHistory history)
    {
        Block(
            ("Deployment ID", deployment.Id.ToString()),
            ("Created", Time(deployment.CreatedOn)),
            ("Source", Kebab(deployment.Source.ToString())),
            ("Message", deployment.Message),
            ("Migration tag", history.MigrationTag));
        var first = true;
        foreach (var share in deployment.Versions)
        {
            var version = history.FindVersion(share.VersionId);
            var percent = $"({share.Percentage.ToString(CultureInfo.InvariantCulture)}%)";
            Console.WriteLine($"{(first ? "Version(s):" : string.Empty),-15}{percent} {share.VersionId}");
            Console.WriteLine($"{string.Empty,-19}Tag: {version?.Tag ?? "-"}");
            first = false;
        }
    }

    /// <summary>A version as the JSON listings show it: secrets by name only.</summary>
    public static object VersionJson(WorkerVersion v) => new
    {
        id = v.Id,
        number = v.Number,
        created = v.CreatedOn,
        tag = v.Tag,
        message = v.Message,
        source = Source(v.Source),
        script = v.Script,
        modules = v.Code?.Modules.Select(m => new { name = m.Name, size = m.Content.Length }),
        modulesHash = v.Code?.Hash,
        bindings = v.Code is null ? null : new { durableObjects = v.Code.DurableObjectBindings, services = v.Code.ServiceBindings, versionMetadata = v.Code.VersionMetadataBinding },
        vars = v.Vars,
        secrets = v.Secrets.Keys,
        durableObjectClasses = v.DurableObjectClasses,
        migrationTag = v.MigrationTag,
        v.HasMtlsBinding,
        v.UsesSmartPlacement,
    };

    /// <summary>A new deployment with the reorder warnings and where it was applied.</summary>
    public static object DeploymentResultJson(DeploymentResult r) => new
    {
        id = r.Deployment.Id,
        created = r.Deployment.CreatedOn,
        source = Kebab(r.Deployment.Source.ToString()),
        message = r.Deployment.Message,
        versions = r.Deployment.Versions.Select(s => new { versionId = s.VersionId, percentage = s.Percentage }),
        warnings = r.Warnings,
        propagation = new
        {
            appliedOn = r.Propagation.Applied.Select(a => new { silo = a.Silo, objectsReset = a.ObjectsReset, objectsFailed = a.ObjectsFailed }),
            notAppliedOn = r.Propagation.Missed.Select(m => new { silo = m.Silo, reason = m.Reason }),
        },
    };

    public static void Warnings(IEnumerable<string> warnings)
    {
        foreach (var warning in warnings)
        {
            Console.WriteLine("⚠ " + warning);
        }
    }

    /// <summary>Silent when every silo applied the deployment; otherwise says which did not, and when they will.</summary>
    public static void Propagation(PropagationReport report)
    {
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

    public static object DeploymentJson(Deployment d) => new
    {
        id = d.Id,
        created = d.CreatedOn,
        source = Kebab(d.Source.ToString()),
        message = d.Message,
        versions = d.Versions.Select(s => new { versionId = s.VersionId, percentage = s.Percentage }),
    };
}
