using System.Runtime.CompilerServices;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Grains.Telemetry;

/// <summary>
/// The version of the code making a call, in the call's Orleans request context: a Worker's
/// invocation and an object's set their own version before the user's code runs, so each object
/// it calls learns which version called it (the skew matrix, and the trace event's caller).
/// </summary>
internal static class CallerContext
{
    private const string Key = "dosim.caller";

    // One value per version, made once: the context is set on every invocation.
    private static readonly ConditionalWeakTable<WorkerVersion, CallerVersion> Callers = [];

    /// <summary>The version that made the call being served; null for events no code called (alarms, socket events) and for calls from outside.</summary>
    public static CallerVersion? Current => RequestContext.Get(Key) as CallerVersion;

    /// <summary>Calls made from here on, in this invocation, are made by <paramref name="version"/>.</summary>
    public static void Set(WorkerVersion version) => RequestContext.Set(Key, Callers.GetValue(version, static v => new CallerVersion(v.Id, v.Tag)));

    /// <summary>Calls made from here on are made by the version <paramref name="caller"/> names (null: by no code's), as when it was read from <see cref="Current"/>.</summary>
    public static void Restore(CallerVersion? caller)
    {
        if (caller is null)
        {
            RequestContext.Remove(Key);
        }
        else
        {
            RequestContext.Set(Key, caller);
        }
    }
}
