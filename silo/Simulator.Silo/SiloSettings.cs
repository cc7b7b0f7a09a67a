using System.Globalization;
using System.Net;

namespace Simulator.Silo;

/// <summary>
/// The silo's settings resolved from <see cref="SiloOptions"/>: typed, defaulted and checked.
/// Instance N shifts the ports that are not configured by N, so several silos run on one machine:
/// instance 0 is the primary, the others join it. With Redis clustering there is no primary:
/// every silo finds the others in Redis.
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
    string? TraceEvents,
    string? ApiToken,
    string? ApiLog,
    long ApiMaxBody,
    DateTimeOffset? VirtualClockStart = null,
    bool PreventEviction = false)
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
        ["ApiToken"] = ("--api-token", "DOSIM_API_TOKEN"),
        ["ApiLog"] = ("--api-log", "DOSIM_API_LOG"),
        ["ApiMaxBody"] = ("--api-max-body", "DOSIM_API_MAX_BODY"),
        ["Clock"] = ("--clock", "DOSIM_CLOCK"),
        ["ClockStart"] = ("--clock-start", "DOSIM_CLOCK_START"),
        ["Eviction"] = ("--eviction", "DOSIM_EVICTION"),
    };

    /// <summary>
    /// Adds the <c>DOSIM_*</c> variables and the command line to the configuration (after
    /// appsettings.json), binds <see cref="SiloOptions"/>, registers them with validation on start,
    /// and returns them resolved; bad settings throw <see cref="SettingsException"/> naming the setting.
    /// </summary>
    public static SiloSettings Load(IConfigurationManager configuration, IServiceCollection services, string[] args, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var switches = Names.ToDictionary(n => n.Value.Switch, n => $"{SiloOptions.Section}:{n.Key}");
        CheckArguments(args, switches);
        configuration.AddInMemoryCollection(Names
            .Select(n => (Key: $"{SiloOptions.Section}:{n.Key}", Value: environment(n.Value.Environment)))
            .Where(v => v.Value is not null)
            .Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
        configuration.AddCommandLine(args, switches);

        var section = configuration.GetSection(SiloOptions.Section);
        SiloOptions options;
        try
        {
            options = section.Get<SiloOptions>() ?? new SiloOptions();
        }
        catch (InvalidOperationException ex) when (BadKey(ex) is { } name)
        {
            throw Invalid(name, section[name] ?? string.Empty, Expected.GetValueOrDefault(name, "a valid value"));
        }

        services.AddOptions<SiloOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SiloOptions>, SiloOptionsValidator>();
        return From(options);
    }

    /// <summary>The settings the options stand for, with defaults, instance shifts and every check applied.</summary>
    public static SiloSettings From(SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var instance = Range("Instance", options.Instance, 0, 100);
        int Port(string name, int? given, int fallback) => given is { } port ? Range(name, port, 1, 65535) : fallback + instance;

        TimeSpan? probe = options.ProbeTimeout is { } timeout
            ? timeout > TimeSpan.Zero ? timeout : throw Invalid("ProbeTimeout", timeout.ToString(), Expected["ProbeTimeout"])
            : null;
        var storagePath = options.StoragePath is { Length: > 0 } storageText ? Path.GetFullPath(storageText) : null;
        var clustering = Choice("Clustering", options.Clustering, ClusteringProvider.Localhost);
        var storage = Choice("Storage", options.Storage, storagePath is null ? StorageProvider.Memory : StorageProvider.File);
        if (storage == StorageProvider.File && storagePath is null)
        {
            throw new SettingsException("--storage file (or DOSIM_STORAGE=file) needs a folder: add --storage-path <dir> (or DOSIM_STORAGE_PATH).");
        }

        var redis = options.Redis is { Length: > 0 } redisText ? redisText : null;
        if (redis is null && (clustering == ClusteringProvider.Redis || storage == StorageProvider.Redis))
        {
            throw new SettingsException("Redis clustering or storage needs a connection string: add --redis host:port (or DOSIM_REDIS), e.g. --redis 127.0.0.1:6379.");
        }

        var listen = options.ListenAddress is { Length: > 0 } listenText
            ? IPAddress.TryParse(listenText, out var listenAddress) ? listenAddress : throw Invalid("ListenAddress", listenText, Expected["ListenAddress"])
            : IPAddress.Loopback;
        var advertised = options.AdvertisedAddress is { Length: > 0 } advertisedText ? advertisedText
            : listen.Equals(IPAddress.Any) ? throw new SettingsException("--listen-address 0.0.0.0 needs --advertised-address <ip or host name> (or DOSIM_ADVERTISED_ADDRESS): the address the other silos and clients reach this one at.")
            : listen.ToString();
        if (clustering == ClusteringProvider.Localhost && !(IPAddress.IsLoopback(listen) && advertised is "127.0.0.1" or "localhost"))
        {
            throw new SettingsException("Localhost clustering keeps every silo on 127.0.0.1: to listen on or advertise another address, add --clustering redis --redis host:port.");
        }

        var console = options.TelemetryConsole is not { Length: > 0 } consoleText || consoleText switch
        {
            "on" or "true" => true,
            "off" or "false" => false,
            _ => throw Invalid("TelemetryConsole", consoleText, Expected["TelemetryConsole"]),
        };
        var otlp = options.OtlpEndpoint is { Length: > 0 } otlpText
            ? Uri.TryCreate(otlpText, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https" ? endpoint : throw Invalid("OtlpEndpoint", otlpText, Expected["OtlpEndpoint"])
            : null;
        var otlpOverHttp = options.OtlpProtocol switch
        {
            null or "" or "grpc" => false,
            "http" => true,
            var other => throw Invalid("OtlpProtocol", other, Expected["OtlpProtocol"]),
        };
        var traceEvents = options.TraceEvents is { Length: > 0 } traceText && traceText != "off"
            ? traceText == "-" ? "-" : Path.GetFullPath(traceText)
            : null;
        if (traceEvents is not null and not "-" && !Directory.Exists(Path.GetDirectoryName(traceEvents)))
        {
            throw Invalid("TraceEvents", traceEvents, Expected["TraceEvents"]);
        }

        var apiLog = options.ApiLog is { Length: > 0 } apiLogText ? Path.GetFullPath(apiLogText) : null;
        if (apiLog is not null && !Directory.Exists(Path.GetDirectoryName(apiLog)))
        {
            throw Invalid("ApiLog", apiLog, Expected["ApiLog"]);
        }

        if (options.ApiMaxBody is < 1024 or > 1024L * 1024 * 1024)
        {
            throw Invalid("ApiMaxBody", options.ApiMaxBody.ToString(CultureInfo.InvariantCulture), Expected["ApiMaxBody"]);
        }

        var virtualClock = options.Clock switch
        {
            null or "" or "real" => false,
            "virtual" => true,
            var other => throw Invalid("Clock", other, Expected["Clock"]),
        };
        DateTimeOffset? clockStart = null;
        if (options.ClockStart is { Length: > 0 } startText)
        {
            clockStart = virtualClock
                ? DateTimeOffset.TryParse(startText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : throw Invalid("ClockStart", startText, Expected["ClockStart"])
                : throw new SettingsException("--clock-start (or DOSIM_CLOCK_START) sets where a virtual clock starts: add --clock virtual.");
        }
        else if (virtualClock)
        {
            clockStart = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        }

        var preventEviction = options.Eviction switch
        {
            null or "" or "on" => false,
            "off" => true,
            var other => throw Invalid("Eviction", other, Expected["Eviction"]),
        };

        var siloPort = Port("SiloPort", options.SiloPort, 11111);
        return new SiloSettings(
            instance,
            siloPort,
            Port("GatewayPort", options.GatewayPort, 30000),
            Port("HttpPort", options.HttpPort, 8787),
            options.PrimarySiloPort is { } primary ? Range("PrimarySiloPort", primary, 1, 65535) : options.SiloPort ?? 11111,
            Range("DeployableWindow", options.DeployableWindow, 1, 1000),
            Range("ResyncInterval", options.ResyncInterval, 1, 3600),
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
            traceEvents,
            options.ApiToken is { Length: > 0 } token ? token : null,
            apiLog,
            options.ApiMaxBody,
            clockStart,
            preventEviction);
    }

    // What each setting must be, for the message when it is not.
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["Instance"] = "a whole number from 0 to 100",
        ["SiloPort"] = "a whole number from 1 to 65535",
        ["GatewayPort"] = "a whole number from 1 to 65535",
        ["HttpPort"] = "a whole number from 1 to 65535",
        ["PrimarySiloPort"] = "a whole number from 1 to 65535",
        ["DeployableWindow"] = "a whole number from 1 to 1000",
        ["ResyncInterval"] = "a whole number of seconds from 1 to 3600",
        ["ProbeTimeout"] = "a time span such as 00:00:02",
        ["ListenAddress"] = "an IP address such as 127.0.0.1 or 0.0.0.0 (all interfaces)",
        ["TelemetryConsole"] = "on or off",
        ["OtlpEndpoint"] = "an http(s) URL such as http://127.0.0.1:4317",
        ["OtlpProtocol"] = "grpc (port 4317 by convention) or http (http/protobuf, port 4318)",
        ["TraceEvents"] = "off, - (standard output) or a file in a folder that exists",
        ["ApiLog"] = "a file in a folder that exists",
        ["ApiMaxBody"] = "a number of bytes from 1024 to 1073741824",
        ["Clock"] = "real or virtual",
        ["ClockStart"] = "an ISO 8601 instant such as 2026-01-01T00:00:00Z",
        ["Eviction"] = "on (idle objects hibernate or are evicted, as on the platform) or off (they stay in memory)",
    };

    // The configuration binder names the key it could not convert: "… at 'Dosim:SiloPort' …".
    private static string? BadKey(InvalidOperationException ex)
    {
        var at = ex.Message.IndexOf($"'{SiloOptions.Section}:", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var start = at + SiloOptions.Section.Length + 2;
        var end = ex.Message.IndexOf('\'', start);
        var key = end > start ? ex.Message[start..end] : null;
        return key is not null && Names.ContainsKey(key) ? key : null;
    }

    // Configuration takes any --key value; the silo knows only its own settings.
    private static void CheckArguments(string[] args, Dictionary<string, string> switches)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!switches.ContainsKey(args[i]))
            {
                throw new SettingsException($"Unknown argument '{args[i]}'. Settings: {string.Join(", ", Names.Values.Select(n => n.Switch + " <value>"))}.");
            }

            if (i + 1 >= args.Length)
            {
                throw new SettingsException($"{args[i]} needs a value, e.g. {args[i]} 1.");
            }
        }
    }

    private static int Range(string name, int value, int min, int max) =>
        value >= min && value <= max ? value : throw Invalid(name, value.ToString(CultureInfo.InvariantCulture), Expected[name]);

    private static T Choice<T>(string name, string? text, T fallback)
        where T : struct, Enum =>
        text is not { Length: > 0 } ? fallback
        : Enum.TryParse<T>(text, ignoreCase: true, out var choice) && Enum.IsDefined(choice) && !int.TryParse(text, out _) ? choice
        : throw Invalid(name, text, "one of " + string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant())));

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
