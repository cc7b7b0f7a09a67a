using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;
using Simulator.Grains.Telemetry;

namespace Simulator.Benchmarks.Harness;

/// <summary>
/// What telemetry costs the gateway path: requests/s with everything on (analytics, trace-event
/// buffer, metrics exported to memory, spans recorded and counted but not kept: no console, no
/// OTLP) against everything off, on the same silo, rotating the order per round.
/// </summary>
public static class TelemetryHarness
{
    public static async Task RunAsync(int requests, int rounds, int concurrency)
    {
        await using var rig = await GatewayRig.StartAsync(concurrency);
        var recorder = rig.Services.GetRequiredService<TelemetryRecorder>();
        var spans = new SpanCounter();
        var metrics = new List<Metric>();

        // Telemetry as the silo turns it on, without the console: the simulator's spans, or those and Orleans' own.
        async Task<double> On(int n, params string[] sources)
        {
            recorder.Enabled = true;
            spans = new SpanCounter();
            using var tracing = Sdk.CreateTracerProviderBuilder()
                .AddSource(sources)
                .AddProcessor(spans)
                .Build();
            using var meters = Sdk.CreateMeterProviderBuilder().AddMeter(SimulatorTelemetry.Name).AddInMemoryExporter(metrics).Build();
            return await rig.DriveAsync("gw.localhost", n);
        }

        async Task<double> Off(int n)
        {
            recorder.Enabled = false;
            return await rig.DriveAsync("gw.localhost", n);
        }

        string[] simulator = [SimulatorTelemetry.Name];
        string[] withOrleans = [SimulatorTelemetry.Name, ActivitySources.ApplicationGrainActivitySourceName, ActivitySources.RuntimeActivitySourceName];
        await On(requests, withOrleans);
        await Off(requests);
        var (own, all) = (new List<double>(), new List<double>());
        for (var round = 1; round <= rounds; round++)
        {
            // Rotate the order, so drift within a round favours none of the three.
            var results = new Dictionary<string, double>();
            foreach (var which in new[] { "off", "simulator", "orleans" }.Skip(round % 3).Concat(new[] { "off", "simulator", "orleans" }.Take(round % 3)))
            {
                results[which] = which switch
                {
                    "off" => await Off(requests),
                    "simulator" => await On(requests, simulator),
                    _ => await On(requests, withOrleans),
                };
            }

            own.Add(results["simulator"] / results["off"]);
            all.Add(results["orleans"] / results["off"]);
            Console.WriteLine($"  round {round}: off {results["off"]:N0} requests/s, simulator spans {results["simulator"]:N0} (ratio {own[^1]:0.00}), with Orleans spans {results["orleans"]:N0} (ratio {all[^1]:0.00})");
        }

        own.Sort();
        all.Sort();
        Console.WriteLine($"Gateway requests/s, telemetry on / off (metrics, analytics, trace events, simulator spans): median ratio {LoadHarness.Median(own):0.00} (target 0.85 or better)");
        Console.WriteLine($"Gateway requests/s, telemetry on / off, with Orleans' spans too: median ratio {LoadHarness.Median(all):0.00}");
    }
}

/// <summary>
/// Ends every recorded span the way an exporting processor sees it, and only counts it: keeping
/// 100,000 spans a round in a list (the in-memory exporter) measured the garbage collector, not telemetry.
/// </summary>
internal sealed class SpanCounter : BaseProcessor<Activity>
{
    private long _ended;

    public long Ended => Interlocked.Read(ref _ended);

    public override void OnEnd(Activity data) => Interlocked.Increment(ref _ended);
}
