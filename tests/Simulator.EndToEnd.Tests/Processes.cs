using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Simulator.EndToEnd.Tests;

/// <summary>Where the built silo and CLI are, and free loopback ports to run them on.</summary>
internal static class Build
{
    public static string RepositoryRoot => Core.Tests.SharedFiles.RepositoryRoot;

    private static string Configuration => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string SiloDll => Output("silo/Simulator.Silo", "Simulator.Silo.dll");

    public static string CliDll => Output("client/Simulator.Client", "dosim.dll");

    private static string Output(string project, string dll)
    {
        var path = Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first: {path} is missing.");
    }

    /// <summary>How every test starts a process: output captured, arguments as given, variables added.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Kills what still runs, waits for it, and lets the process go.</summary>
    public static async ValueTask KillAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A silo process on free loopback ports, started and awaited until it says it is ready.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(int siloPort, int gatewayPort, int httpPort, string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        (SiloPort, GatewayPort, HttpPort) = (siloPort, gatewayPort, httpPort);
        _process = new Process { StartInfo = Build.StartInfo("dotnet", [Build.SiloDll, .. args]), EnableRaisingEvents = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            _process.StartInfo.Environment[name] = value;
        }

        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.Exited += (_, _) => { _ready.TrySetException(new InvalidOperationException("The silo exited before it was ready:\n" + Output)); };
    }

    public int SiloPort { get; }
    public int GatewayPort { get; }
    public int HttpPort { get; }
    public string Output { get { lock (_output) { return _output.ToString(); } } }
    public int ExitCode => _process.ExitCode;

    private void Line(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains(" ready: ", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        if (line.Contains(" stopped", StringComparison.Ordinal))
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Starts a silo; with <paramref name="primary"/> it joins that silo's cluster.</summary>
    public static Task<SiloProcess> StartAsync(SiloProcess? primary = null, params string[] extra) => StartAsync(primary, null, extra);

    /// <summary>Starts a silo with extra environment variables (e.g. <c>Logging__LogLevel__…</c>).</summary>
    public static async Task<SiloProcess> StartAsync(SiloProcess? primary, IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        var (silo, gateway, http) = (Build.FreePort(), Build.FreePort(), Build.FreePort());
        string[] args = ["--silo-port", $"{silo}", "--gateway-port", $"{gateway}", "--http-port", $"{http}", "--primary-silo-port", $"{primary?.SiloPort ?? silo}", .. extra];
        var process = new SiloProcess(silo, gateway, http, args, environment);
        process._process.Start();
        process._process.BeginOutputReadLine();
        process._process.BeginErrorReadLine();
        await process._ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return process;
    }

    /// <summary>SIGKILL: no goodbye to the cluster.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, then wait for the clean exit.</summary>
    public async Task StopAsync()
    {
        Signals.Terminate(_process.Id);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await _stopped.Task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    public ValueTask DisposeAsync() => Build.KillAsync(_process);
}

internal static class Signals
{
    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Terminate(int pid)
    {
        if (kill(pid, 15) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, SIGTERM) failed with errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }
    }
}

/// <summary>A `dosim` process that keeps running (tail): its lines as they come, and a stop.</summary>
public sealed class LiveCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];

    public LiveCli(SiloProcess silo, params string[] args)
    {
        _process = new Process { StartInfo = Build.StartInfo("dotnet", [Build.CliDll, .. args], Run.Environment(silo)) };
        _process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Stdout { get { lock (_stdout) { return [.. _stdout]; } } }

    public IReadOnlyList<string> Stderr { get { lock (_stdout) { return [.. _stderr]; } } }

    private void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (_stdout)
            {
                lines.Add(line);
            }
        }
    }

    /// <summary>Waits until the lines printed so far satisfy <paramref name="done"/>.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> done, bool stderr = false, int seconds = 30)
    {
        await Core.Tests.Eventually.Until(
            "dosim to print what was expected",
            TimeSpan.FromSeconds(seconds),
            () => done(stderr ? Stderr : Stdout) || (_process.HasExited ? throw new Xunit.Sdk.XunitException($"dosim exited before printing what was expected:\n{Printed()}") : false),
            Printed);
    }

    private string Printed() => $"--- stdout\n{string.Join('\n', Stdout)}\n--- stderr\n{string.Join('\n', Stderr)}";

    public ValueTask DisposeAsync() => Build.KillAsync(_process);
}

/// <summary>Runs a command to completion and captures what it printed.</summary>
public static class Run
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static Task<Result> CliAsync(SiloProcess? silo, params string[] args) =>
        ProcessAsync("dotnet", [Build.CliDll, .. args], silo is null ? [] : Environment(silo));

    public static Dictionary<string, string> Environment(SiloProcess silo) => new()
    {
        ["DOSIM_CLUSTER"] = $"127.0.0.1:{silo.GatewayPort}",
        ["DOSIM_HTTP"] = $"http://127.0.0.1:{silo.HttpPort}",
    };

    public static async Task<Result> ProcessAsync(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = Build.StartInfo(file, args, environment);
        start.RedirectStandardInput = true;
        start.WorkingDirectory = workingDirectory ?? Build.RepositoryRoot;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
