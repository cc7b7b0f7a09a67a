using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;
using Simulator.Grains.Telemetry;

namespace Simulator.Silo;

/// <summary>
/// OpenTelemetry for the silo: the simulator's spans and metrics, Orleans' own spans (so one trace
/// runs gateway → worker → object across silos), ASP.NET Core's request spans; to the console
/// unless turned off, and to an OTLP endpoint when one is given.
/// </summary>
internal static class SiloTelemetry
{
    public static void Add(WebApplicationBuilder builder, SiloSettings settings)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("dosim-silo", serviceInstanceId: settings.Instance.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (!settings.TelemetryConsole && settings.OtlpEndpoint is null)
        {
            return;
        }

        telemetry.WithTracing(tracing =>
        {
            tracing.AddSource(SimulatorTelemetry.Name, ActivitySources.ApplicationGrainActivitySourceName, ActivitySources.RuntimeActivitySourceName, "Microsoft.AspNetCore");
            if (settings.TelemetryConsole)
            {
                tracing.AddConsoleExporter();
            }

            if (settings.OtlpEndpoint is { } endpoint)
            {
                tracing.AddOtlpExporter(o => Otlp(o, endpoint, settings));
            }
        });
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(SimulatorTelemetry.Name);
            if (settings.TelemetryConsole)
            {
                metrics.AddConsoleExporter();
            }

            if (settings.OtlpEndpoint is { } endpoint)
            {
                metrics.AddOtlpExporter(o => Otlp(o, endpoint, settings));
            }
        });
        if (settings.OtlpEndpoint is { } logs)
        {
            // The console already has the logs (ILogger's console provider); OTLP gets them with their fields.
            telemetry.WithLogging(logging => logging.AddOtlpExporter(o => Otlp(o, logs, settings)));
        }
    }

    // With http/protobuf an endpoint given in code is used as it is, for every signal.
    private static void Otlp(OpenTelemetry.Exporter.OtlpExporterOptions options, Uri endpoint, SiloSettings settings)
    {
        options.Endpoint = endpoint;
        options.Protocol = settings.OtlpOverHttp ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
    }

    public static string Describe(SiloSettings settings) =>
        string.Join(" + ", new[] { settings.TelemetryConsole ? "console" : null, settings.OtlpEndpoint is { } e ? "otlp " + e : null }.OfType<string>().DefaultIfEmpty("off"))
        + (settings.TraceEvents is { } events ? $", trace events to {(events == "-" ? "stdout" : events)}" : "");
}
