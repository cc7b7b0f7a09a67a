using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;
using Simulator.Core;
using Simulator.Grains.Telemetry;

namespace Simulator.Grains.Tests;

/// <summary>Spans and metrics carry the version that ran, caught by OpenTelemetry's in-memory exporter.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TelemetryTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Spans_carry_the_version_and_reason_and_one_trace_runs_from_the_worker_to_the_object_with_a_reset_event()
    {
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(SimulatorTelemetry.Name, ActivitySources.ApplicationGrainActivitySourceName)
            .AddInMemoryExporter(spans)
            .Build();
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B");
        await worker.FetchAsync("/foo", (VersionHeaders.Key, "k"));
        await worker.DeployVersionsAsync((b.Id, 100));
        await worker.FetchAsync("/foo", (VersionHeaders.Key, "k"));
        tracing.ForceFlush();

        List<Activity> Mine(string name)
        {
            lock (spans)
            {
                return [.. spans.Where(s => s.OperationName == name && (string?)s.GetTagItem(SimulatorTelemetry.Tags.Worker) == worker.Name)];
            }
        }

        var invocations = Mine("worker fetch");
        Assert.Equal([a.Id.ToString(), b.Id.ToString()], invocations.Select(s => (string?)s.GetTagItem(SimulatorTelemetry.Tags.VersionId)));
        Assert.Equal(["A", "B"], invocations.Select(s => (string?)s.GetTagItem(SimulatorTelemetry.Tags.VersionTag)));
        Assert.All(invocations, s => Assert.Equal(("version-key", "ok", 200), ((string?)s.GetTagItem(SimulatorTelemetry.Tags.Reason), (string?)s.GetTagItem(SimulatorTelemetry.Tags.Outcome), (int?)s.GetTagItem(SimulatorTelemetry.Tags.Status))));

        var objectCalls = Mine("durable_object fetch");
        Assert.Equal(2, objectCalls.Count);
        Assert.All(objectCalls, s => Assert.Equal((DurableObjectId.FromName("Counter", "foo"), "Counter"), ((string?)s.GetTagItem(SimulatorTelemetry.Tags.ObjectId), (string?)s.GetTagItem(SimulatorTelemetry.Tags.Class))));

        // Each object call belongs to the trace of the invocation that made it.
        Assert.Equal(invocations.Select(s => s.TraceId), objectCalls.Select(s => s.TraceId));

        // The deploy reset the active object: an event on the span that ran the reset.
        var reset = Assert.Single(Mine("durable_object refresh").SelectMany(s => s.Events), e => e.Name == "durable_object.reset");
        var tags = reset.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal((a.Id.ToString(), b.Id.ToString(), true), ((string?)tags[SimulatorTelemetry.Tags.FromVersion], (string?)tags[SimulatorTelemetry.Tags.ToVersion], (bool?)tags[SimulatorTelemetry.Tags.WasActive]));
    }

    [Fact]
    public async Task Metrics_count_requests_errors_and_resets_by_version()
    {
        var metrics = new List<Metric>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(SimulatorTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName(), CodeUpdateStrategy.ImmediateUpdate);
        var a = await worker.DeployAsync("counter", "A");
        var b = await worker.UploadAsync("counter", "B", new Dictionary<string, string> { [SimulationVars.ErrorRate] = "1" });
        await worker.FetchAsync("/bar");
        await worker.FetchAsync("/bar");
        await worker.DeployVersionsAsync((b.Id, 100));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(500, (await worker.FetchAsync("/bar")).Response.Status);
        }

        meters.ForceFlush();
        long Sum(string metric, params (string Key, string Value)[] where)
        {
            long total = 0;
            foreach (var m in metrics.Where(m => m.Name == metric))
            {
                foreach (ref readonly var point in m.GetMetricPoints())
                {
                    var tags = new Dictionary<string, object?>();
                    foreach (var tag in point.Tags)
                    {
                        tags[tag.Key] = tag.Value;
                    }

                    if ((string?)tags[SimulatorTelemetry.Tags.Worker] == worker.Name && where.All(w => (string?)tags.GetValueOrDefault(w.Key) == w.Value))
                    {
                        total += m.MetricType == MetricType.LongSum ? point.GetSumLong() : point.GetHistogramCount();
                    }
                }
            }

            return total;
        }

        (string, string) Version(Guid id) => (SimulatorTelemetry.Tags.VersionId, id.ToString());
        (string, string) Kind(string kind) => (SimulatorTelemetry.Tags.Kind, kind);
        Assert.Equal(2, Sum("dosim.requests", Version(a.Id), Kind("worker"), (SimulatorTelemetry.Tags.Outcome, "ok")));
        Assert.Equal(2, Sum("dosim.requests", Version(a.Id), Kind("durable_object")));
        Assert.Equal(3, Sum("dosim.requests", Version(b.Id), Kind("worker"), (SimulatorTelemetry.Tags.Outcome, "exception")));
        Assert.Equal(3, Sum("dosim.errors", Version(b.Id)));
        Assert.Equal(0, Sum("dosim.errors", Version(a.Id)));
        Assert.Equal(5, Sum("dosim.request.duration", Kind("worker")));
        Assert.Equal(1, Sum("dosim.durable_object.resets", (SimulatorTelemetry.Tags.FromVersion, a.Id.ToString()), (SimulatorTelemetry.Tags.ToVersion, b.Id.ToString()), (SimulatorTelemetry.Tags.Class, "Counter")));
    }
}
