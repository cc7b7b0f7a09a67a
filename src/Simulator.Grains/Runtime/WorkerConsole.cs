using System.Collections.Immutable;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime;

/// <summary>
/// The <c>console</c> of worker code: each call is one line of the invocation's trace event, with
/// its level and time, as <c>console.log("a", "b")</c> is on the platform.
/// </summary>
public sealed class WorkerConsole
{
    private readonly TimeProvider _time;
    private List<TraceLog>? _lines;

    internal WorkerConsole(TimeProvider time) => _time = time;

    public void Log(params string[] message) => Add("log", message);

    public void Info(params string[] message) => Add("info", message);

    public void Warn(params string[] message) => Add("warn", message);

    public void Error(params string[] message) => Add("error", message);

    public void Debug(params string[] message) => Add("debug", message);

    /// <summary>One line at <paramref name="level"/> (JavaScript's console.trace lands as "log").</summary>
    internal void Write(string level, string text) => Add(level is "log" or "info" or "warn" or "error" or "debug" ? level : "log", [text]);

    /// <summary>The lines so far, leaving none behind (a Durable Object's console serves many requests).</summary>
    internal ImmutableArray<TraceLog> Drain()
    {
        lock (this)
        {
            var lines = _lines is null ? [] : _lines.ToImmutableArray();
            _lines = null;
            return lines;
        }
    }

    private void Add(string level, string[] message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var line = new TraceLog(level, [.. message], _time.GetUtcNow().ToUnixTimeMilliseconds());
        // The console itself is the lock: nothing outside sees it, and an object's console lives
        // as long as the object (a lock object was 40 bytes of each).
        lock (this)
        {
            (_lines ??= []).Add(line);
        }
    }
}
