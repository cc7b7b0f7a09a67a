using System.Globalization;

namespace Simulator.Silo;

/// <summary>
/// The silo's settings, from appsettings.json (section Dosim), then DOSIM_* environment variables,
/// then the command line, later ones winning. Instance N shifts the ports that are not given
/// explicitly (on the command line or in the environment) by N, so several silos run on one
/// machine: instance 0 is the primary, the others join it.
/// </summary>
public sealed record SiloSettings(int Instance, int SiloPort, int GatewayPort, int HttpPort, int PrimarySiloPort, int DeployableWindow, TimeSpan? ProbeTimeout, string? StoragePath)
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
        ["ProbeTimeout"] = ("--probe-timeout", "DOSIM_PROBE_TIMEOUT"),
        ["StoragePath"] = ("--storage-path", "DOSIM_STORAGE_PATH"),
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
        return new SiloSettings(
            instance,
            Port("SiloPort", 11111),
            Port("GatewayPort", 30000),
            Port("HttpPort", 8787),
            Number("PrimarySiloPort", Number("SiloPort", 11111, 1, 65535), 1, 65535),
            Number("DeployableWindow", 10, 1, 1000),
            probe,
            Value("StoragePath") is { Length: > 0 } storage ? Path.GetFullPath(storage) : null);
    }

    private static SettingsException Invalid(string name, string value, string expected) =>
        new($"{Names[name].Switch} (or {Names[name].Environment}) is '{value}': it must be {expected}.");
}

public sealed class SettingsException(string message) : Exception(message);
