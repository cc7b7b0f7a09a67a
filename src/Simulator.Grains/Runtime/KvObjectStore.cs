namespace Simulator.Grains.Runtime;

/// <summary>What a key-value-backed object's store works on: its grain state, kept by its grain.</summary>
internal interface IKvObjectHost : IObjectAlarm
{
    /// <summary>The object's entries, values as JSON.</summary>
    Dictionary<string, string> Entries { get; }

    bool IsCurrent(int generation);

    /// <summary>Stores the object's state (entries and metadata) in one write.</summary>
    Task PersistAsync();
}

/// <summary>
/// A key-value-backed object's storage (a class from <c>new_classes</c>): its entries, values as
/// JSON, held in the object's grain state and stored with it. One reference to its host, so an
/// active object pays a few bytes for it.
/// </summary>
internal sealed class KvObjectStore(IKvObjectHost host) : IDurableObjectStore
{
    public bool IsSqlite => false;

    public SqliteObjectDatabase? Sql => null;

    public IObjectAlarm Alarm => host;

    public bool IsCurrent(int generation) => host.IsCurrent(generation);

    public string? Read(string key) => host.Entries.GetValueOrDefault(key);

    public IEnumerable<KeyValuePair<string, string>> ReadAll() => host.Entries;

    public void Apply(IReadOnlyList<KeyValuePair<string, string?>> changes) => Apply(host.Entries, changes);

    /// <summary>Sets and removes (a null value) entries, in order.</summary>
    internal static void Apply(Dictionary<string, string> data, IReadOnlyList<KeyValuePair<string, string?>> changes)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            var (key, value) = changes[i];
            if (value is null)
            {
                data.Remove(key);
            }
            else
            {
                data[key] = value;
            }
        }
    }

    public Task PersistAsync() => host.PersistAsync();
}
