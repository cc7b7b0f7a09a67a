namespace Simulator.Contracts;

/// <summary>
/// Grain references by string key without Orleans' per-call type resolution: <c>GetGrain&lt;T&gt;(key)</c>
/// reads the interface's attributes by reflection on every call (10% of a 50,000-object reset in
/// the profile, and once per request on the gateway path). The grain and interface types are
/// resolved on the first call and reused; a grain type does not change while the process runs.
/// </summary>
public static class StringKeyGrains
{
    public static T Get<T>(IGrainFactory grains, string key)
        where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (Types<T>.Resolved is { } types)
        {
            return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
        }

        var reference = grains.GetGrain<T>(key);
        var resolved = (GrainReference)(object)reference;
        Types<T>.Resolved = new ResolvedTypes(resolved.GrainId.Type, resolved.InterfaceType);
        return reference;
    }

    private sealed record ResolvedTypes(GrainType Grain, GrainInterfaceType Interface);

    private static class Types<T>
    {
        public static ResolvedTypes? Resolved;
    }
}
