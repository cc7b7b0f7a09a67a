using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Simulator.Grains.Telemetry;

/// <summary>
/// The simulator's OpenTelemetry sources: one ActivitySource and one Meter, both named
/// <see cref="Name"/>. They cost nothing until a TracerProvider or MeterProvider listens.
/// </summary>
public static class SimulatorTelemetry
{
    public const string Name = "Simulator";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("dosim.requests", "{request}", "Invocations by worker, version and outcome (Worker invocations and Durable Object requests)");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("dosim.errors", "{error}", "Invocations that ended in an exception, by worker and version");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("dosim.request.duration", "ms", "Invocation duration by worker, version and outcome");

    public static readonly Counter<long> Resets = Meter.CreateCounter<long>("dosim.durable_object.resets", "{reset}", "Durable Object resets by worker, class, from-version and to-version");

    /// <summary>Attribute names, shared by spans, metrics and trace events.</summary>
    public static class Tags
    {
        public const string Worker = "dosim.worker";
        public const string VersionId = "dosim.version.id";
        public const string VersionTag = "dosim.version.tag";
        public const string VersionMessage = "dosim.version.message";
        public const string Reason = "dosim.version.reason";
        public const string Outcome = "dosim.outcome";
        public const string Kind = "dosim.invocation";
        public const string Class = "dosim.durable_object.class";
        public const string ObjectId = "dosim.durable_object.id";
        public const string RpcMethod = "dosim.rpc.method";
        public const string FromVersion = "dosim.reset.from_version";
        public const string ToVersion = "dosim.reset.to_version";
        public const string Deployment = "dosim.deployment.id";
        public const string WasActive = "dosim.reset.was_active";
        public const string Status = "http.response.status_code";
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> VersionIds = new();

    /// <summary>A version id as text, made once per version: every span and metric point carries it.</summary>
    internal static string Text(Guid versionId) => VersionIds.GetOrAdd(versionId, static id => id.ToString());

    internal static void TagVersion(Activity activity, string worker, Core.WorkerVersion version)
    {
        activity.SetTag(Tags.Worker, worker);
        activity.SetTag(Tags.VersionId, Text(version.Id));
        activity.SetTag(Tags.VersionTag, version.Tag);
        activity.SetTag(Tags.VersionMessage, version.Message);
    }
}
