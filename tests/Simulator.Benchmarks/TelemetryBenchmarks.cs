using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Grains.Hosting;
using Simulator.Grains.Telemetry;

namespace Simulator.Benchmarks;

/// <summary>What recording one invocation costs a silo: analytics, trace event, metrics (when listened to).</summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks : IAsyncDisposable
{
    private readonly WorkerRequest _request = WorkerRequest.Get("https://bench.localhost/foo");
    private readonly WorkerVersion _version = new() { Id = Guid.NewGuid(), Number = 1, CreatedOn = DateTimeOffset.UnixEpoch, Script = "counter", Tag = "A", Source = VersionSource.Upload };
    private readonly Guid _deployment = Guid.NewGuid();
    private TelemetryRecorder _recorder = null!;
    private MeterProvider? _meters;

    [Params(false, true)]
    public bool MetricsListened { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _recorder = new TelemetryRecorder(new DurableObjectsSimulatorOptions(), TimeProvider.System, NullLogger<TelemetryRecorder>.Instance);
        _meters = MetricsListened ? Sdk.CreateMeterProviderBuilder().AddMeter(SimulatorTelemetry.Name).Build() : null;
    }

    [GlobalCleanup]
    public async Task Cleanup() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        _meters?.Dispose();
        await _recorder.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public void RecordInvocation() =>
        _recorder.Record(new Invocation("bench", _deployment, _version, _request, null), 0, TimeSpan.FromMilliseconds(1), 200, null, []);

    [Benchmark]
    public void RecordObjectRequest() =>
        _recorder.Record(new Invocation("bench", _deployment, _version, _request, "Counter"), 0, TimeSpan.FromMilliseconds(1), 200, null, []);
}
