using System.Globalization;
using System.Net;

namespace Simulator.Silo;

/// <summary>
/// The silo's settings, from appsettings.json (section Dosim), then DOSIM_* environment variables,
/// then the command line, later ones winning. Instance N shifts the ports that are not given
/// explicitly (on the command line or in the environment) by N, so several silos run on one
/// machine: instance 0 is the primary, the others join it. With Redis clustering there is no
/// primary: every silo finds the others in Redis.
/// </summary>
public sealed record SiloSettings(
    int Instance,
    int SiloPort,
    int GatewayPort,
    int HttpPort,
    int PrimarySiloPort,
    int DeployableWindow,
    int ResyncIntervalSeconds,
    TimeSpan? ProbeTimeout,
    string? StoragePath,
    ClusteringProvider Clustering,
    StorageProvider Storage,
    string? Redis,
    IPAddress ListenAddress,
    string AdvertisedAddress,
    bool TelemetryConsole,
    Uri? OtlpEndpoint,
    bool OtlpOverHttp,
    string? TraceEvents)
{
    /// <summary>Setting → (command-line switch, environment variable).</summary>
    public static readonly IReadOnlyDictionary<string, (string Switch, string Environment)> Names = new Dictionary<string, (string, string)>
    {
        ["Instance"] = ("--instance", "DOSIM_INSTANCE"),
        ["SiloPort"] = ("--silo-port", "DOSIM_SILO_PORT"),
        ["GatewayPort"] = ("--gateway-port", "DOSIM_GATEWAY_PORT"),
        ["HttpPort"] = ("--http-port", "DOSIM_HTTP_PORT"),
        ["PrimarySiloPort"] = ("--primary-silo-port", "DOSIM_PRIMARY_SILO_PORT"),
        ["DeployableWindow"] = ("--deployable-window", "DOSIM_DEPLOYABLE_WINDOW"),
        ["ResyncInterval"] = ("--resync-interval", "DOSIM_RESYNC_INTERVAL"),
        ["ProbeTimeout"] = ("--probe-timeout", "DOSIM_PROBE_TIMEOUT"),
        ["StoragePath"] = ("--storage-path", "DOSIM_STORAGE_PATH"),
        ["Clustering"] = ("--clustering", "DOSIM_CLUSTERING"),
        ["Storage"] = ("--storage", "DOSIM_STORAGE"),
        ["Redis"] = ("--redis", "DOSIM_REDIS"),
        ["ListenAddress"] = ("--listen-address", "DOSIM_LISTEN_ADDRESS"),
        ["AdvertisedAddress"] = ("--advertised-address", "DOSIM_ADVERTISED_ADDRESS"),
        ["TelemetryConsole"] = ("--telemetry-console", "DOSIM_TELEMETRY_CONSOLE"),
        ["OtlpEndpoint"] = ("--otlp-endpoint", "DOSIM_OTLP_ENDPOINT"),
        ["OtlpProtocol"] = ("--otlp-protocol", "DOSIM_OTLP_PROTOCOL"),
        ["TraceEvents"] = ("--trace-events", "DOSIM_TRACE_EVENTS"),
    };

    public static SiloSettings Load(IConfiguration appsettings, string[] args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(appsettings);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var explicitValues = new Dictionary<string, string>();
        foreach (var (name, (_, variable)) in Names)
        {
            if (environment(variable) is { } value)
            {
                explicitValues[name] = value;
            }
        }

        for (var i = 0; i < args.Length; i += 2)
        {
            var setting = Names.FirstOrDefault(n => n.Value.Switch == args[i]).Key
                ?? throw new SettingsException($"Unknown argument '{args[i]}'. Settings: {string.Join(", ", Names.Values.Select(n => n.Switch + " <value>"))}.");
            explicitValues[setting] = i + 1 < args.Length ? args[i + 1] : throw new SettingsException($"{args[i]} needs a value, e.g. {args[i]} 1.");
        }

        var section = appsettings.GetSection("Dosim");
        string? Value(string name) => explicitValues.GetValueOrDefault(name) ?? section[name];
        int Number(string name, int fallback, int min, int max) =>
            Value(name) is not { } text ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
            : throw Invalid(name, text, $"a whole number from {min} to {max}");

        var instance = Number("Instance", 0, 0, 100);
        int Port(string name, int fallback) => Number(name, fallback, 1, 65535) + (explicitValues.ContainsKey(name) ? 0 : instance);

        TimeSpan? probe = Value("ProbeTimeout") is { } p
            ? TimeSpan.TryParse(p, CultureInfo.InvariantCulture, out var timeout) && timeout > TimeSpan.Zero ? timeout : throw Invalid("ProbeTimeout", p, "a time span such as 00:00:02")
            : null;
        var storagePath = Value("StoragePath") is { Length: > 0 } storageText ? Path.GetFullPath(storageText) : null;
        var clustering = Choice("Clustering", ClusteringProvider.Localhost);
        var storage = Choice("Storage", storagePath is null ? StorageProvider.Memory : StorageProvider.File);
        if (storage == StorageProvider.File && storagePath is null)
        {
            throw new SettingsException("--storage file (or DOSIM_STORAGE=file) needs a folder: add --storage-path <dir> (or DOSIM_STORAGE_PATH).");
        }

        var redis = Value("Redis") is { Length: > 0 } redisText ? redisText : null;
        if (redis is null && (clustering == ClusteringProvider.Redis || storage == StorageProvider.Redis))
        {
            throw new SettingsException("Redis clustering or storage needs a connection string: add --redis host:port (or DOSIM_REDIS), e.g. --redis 127.0.0.1:6379.");
        }

        var listen = Value("ListenAddress") is { } listenText
            ? IPAddress.TryParse(listenText, out var listenAddress) ? listenAddress : throw Invalid("ListenAddress", listenText, "an IP address such as 127.0.0.1 or 0.0.0.0 (all interfaces)")
            : IPAddress.Loopback;
        var advertised = Value("AdvertisedAddress") is { Length: > 0 } advertisedText ? advertisedText
            : listen.Equals(IPAddress.Any) ? throw new SettingsException("--listen-address 0.0.0.0 needs --advertised-address <ip or host name> (or DOSIM_ADVERTISED_ADDRESS): the address the other silos and clients reach this one at.")
            : listen.ToString();
        if (clustering == ClusteringProvider.Localhost && !(IPAddress.IsLoopback(listen) && advertised is "127.0.0.1" or "localhost"))
        {
            throw new SettingsException("Localhost clustering keeps every silo on 127.0.0.1: to listen on or advertise another address, add --clustering redis --redis host:port.");
        }

        var console = Value("TelemetryConsole") is not { Length: > 0 } consoleText || consoleText switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw Invalid("TelemetryConsole", consoleText, "on or off"),
        };
        var otlp = Value("OtlpEndpoint") is { Length: > 0 } otlpText
            ? Uri.TryCreate(otlpText, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" ? endpoint : throw Invalid("OtlpEndpoint", otlpText, "an http(s) URL such as http://127.0.0.1:4317")
            : null;
        var otlpOverHttp = Value("OtlpProtocol") switch
        {
            null or "" or "grpc" => false,
            "http" => true,
            var other => throw Invalid("OtlpProtocol", other, "grpc (port 4317 by convention) or http (http/protobuf, port 4318)"),
        };
        var traceEvents = Value("TraceEvents") is { Length: > 0 } traceText && traceText != "off"
            ? traceText == "-" ? "-" : Path.GetFullPath(traceText)
            : null;
        if (traceEvents is not null and not "-" && !Directory.Exists(Path.GetDirectoryName(traceEvents)))
        {
            throw Invalid("TraceEvents", traceEvents, "off, - (standard output) or a file in a folder that exists");
        }

        return new SiloSettings(
            instance,
            Port("SiloPort", 11111),
            Port("GatewayPort", 30000),
            Port("HttpPort", 8787),
            Number("PrimarySiloPort", Number("SiloPort", 11111, 1, 65535), 1, 65535),
            Number("DeployableWindow", 10, 1, 1000),
            Number("ResyncInterval", 5, 1, 3600),
            probe,
            storagePath,
            clustering,
            storage,
            redis,
            listen,
            advertised,
            console,
            otlp,
            otlpOverHttp,
            traceEvents);

        T Choice<T>(string name, T fallback)
            where T : struct, Enum =>
            Value(name) is not { Length: > 0 } text ? fallback
            : Enum.TryParse<T>(text, ignoreCase: true, out var choice) && Enum.IsDefined(choice) && !int.TryParse(text, out _) ? choice
            : throw Invalid(name, text, "one of " + string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant())));
    }

    /// <summary>What the silo prints about its storage when it is ready.</summary>
    public string StorageDescription => Storage switch
    {
        StorageProvider.File => "files in " + StoragePath,
        StorageProvider.Redis => "redis at " + Redis,
        _ => "in memory",
    };

    private static SettingsException Invalid(string name, string value, string expected) =>
        new($"{Names[name].Switch} (or {Names[name].Environment}) is '{value}': it must be {expected}.");
}

/// <summary>Where the silos keep their membership table.</summary>
public enum ClusteringProvider
{
    /// <summary>In the primary silo (instance 0): one machine, loopback only.</summary>
    Localhost,

    /// <summary>In Redis: silos on any hosts, none of them special.</summary>
    Redis,
}

/// <summary>Where the silos keep grain state (deployments and Durable Object storage).</summary>
public enum StorageProvider
{
    /// <summary>In each silo's memory: lost with the silo that holds it.</summary>
    Memory,

    /// <summary>In files under --storage-path, shared by the silos of one machine.</summary>
    File,

    /// <summary>In Redis, shared by silos on any hosts.</summary>
    Redis,
}

public sealed class SettingsException(string message) : Exception(message);
