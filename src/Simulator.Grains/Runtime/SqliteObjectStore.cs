namespace Simulator.Grains.Runtime;

/// <summary>
/// A SQLite-backed object's storage (a class from <c>new_sqlite_classes</c>): its database, with the
/// key-value API in the database's <c>_cf_KV</c> table, so both APIs see the same data. Persisting
/// stores the database's image.
/// </summary>
internal sealed class SqliteObjectStore(SqliteObjectDatabase database, Func<int, bool> isCurrent, Func<Task> persist, IObjectAlarm alarm) : IDurableObjectStore
{
    public SqliteObjectDatabase Sql => database;

    public IObjectAlarm Alarm => alarm;

    SqliteObjectDatabase? IDurableObjectStore.Sql => database;

    public bool IsCurrent(int generation) => isCurrent(generation);

    public string? Read(string key) => database.KvGet(key);

    public IEnumerable<KeyValuePair<string, string>> ReadAll() => database.KvAll();

    public void Apply(IReadOnlyList<KeyValuePair<string, string?>> changes) => database.KvApply(changes);

    public Task PersistAsync() => persist();
}
