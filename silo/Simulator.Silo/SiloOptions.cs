namespace Simulator.Silo;

/// <summary>
/// The silo's settings as configuration gives them (section <c>Dosim</c>: appsettings.json, then
/// <c>DOSIM_*</c> environment variables, then the command line, later ones winning), bound by the
/// Options pattern and checked by <see cref="SiloOptionsValidator"/>. A port left unset is the
/// default shifted by <see cref="Instance"/>, so several silos run on one machine.
/// </summary>
public sealed class SiloOptions
{
    public const string Section = "Dosim";

    public int Instance { get; set; }
    public int? SiloPort { get; set; }
    public int? GatewayPort { get; set; }
    public int? HttpPort { get; set; }
    public int? PrimarySiloPort { get; set; }
    public int DeployableWindow { get; set; } = Core.WorkerRules.DefaultDeployableWindow;

    /// <summary>Seconds between a silo's checks for deployments it missed.</summary>
    public int ResyncInterval { get; set; } = (int)Grains.Hosting.DurableObjectsSimulatorOptions.DefaultResyncInterval.TotalSeconds;

    public TimeSpan? ProbeTimeout { get; set; }
    public string? StoragePath { get; set; }
    public string? Clustering { get; set; }
    public string? Storage { get; set; }
    public string? Redis { get; set; }
    public string? ListenAddress { get; set; }
    public string? AdvertisedAddress { get; set; }
    public string? TelemetryConsole { get; set; }
    public string? OtlpEndpoint { get; set; }
    public string? OtlpProtocol { get; set; }
    public string? TraceEvents { get; set; }
    public string? ApiToken { get; set; }
    public string? ApiLog { get; set; }

    /// <summary>Simulated time: "real" (the default) or "virtual" (moves only with `dosim clock advance`).</summary>
    public string? Clock { get; set; }

    /// <summary>Where a virtual clock starts (an ISO 8601 instant); the silo's start time when not given.</summary>
    public string? ClockStart { get; set; }

    /// <summary>"on" (the default: idle objects hibernate or are evicted as on the platform) or "off" (they stay in memory, as workerd's preventEviction).</summary>
    public string? Eviction { get; set; }

    /// <summary>The REST API's body limit in bytes (a Worker upload).</summary>
    public long ApiMaxBody { get; set; } = Api.PlatformApiOptions.DefaultMaxBodyBytes;
}
