namespace Simulator.Grains.Runtime;

/// <summary>
/// A key-value-backed object's storage (a class from <c>new_classes</c>): its entries, values as
/// JSON, held in the object's grain state and stored with it.
/// </summary>
internal sealed class KvObjectStore(Func<Dictionary<string, string>> entries, Func<int, bool> isCurrent, Func<Task> persist, IObjectAlarm alarm) : IDurableObjectStore
{
    public SqliteObjectDatabase? Sql => null;

    public IObjectAlarm Alarm => alarm;

    public bool IsCurrent(int generation) => isCurrent(generation);

    public string? Read(string key) => entries().GetValueOrDefault(key);

    public IEnumerable<KeyValuePair<string, string>> ReadAll() => entries();

    public void Apply(IReadOnlyList<KeyValuePair<string, string?>> changes)
    {
        var data = entries();
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

    public Task PersistAsync() => persist();
}
