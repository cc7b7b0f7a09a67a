namespace Simulator.Grains.Runtime;

/// <summary>What a SQLite-backed object's store works on: its database, opened when first needed, kept by its grain.</summary>
internal interface ISqliteObjectHost : IObjectAlarm
{
    /// <summary>
    /// The object's key-value entries while it has no database (its code has used only the
    /// key-value API); null once it has one, when they are in its <c>_cf_KV</c> table.
    /// </summary>
    Dictionary<string, string>? Entries { get; }

    /// <summary>The object's database: opened (and given the entries) on first use.</summary>
    SqliteObjectDatabase OpenDatabase();

    bool IsCurrent(int generation);

    /// <summary>Stores the database's image (or the entries, while there is none), in one write.</summary>
    Task PersistAsync();
}

/// <summary>
/// A SQLite-backed object's storage (a class from <c>new_sqlite_classes</c>): its database, with the
/// key-value API in the database's <c>_cf_KV</c> table, so both APIs see the same data. An object
/// whose code has used only the key-value API has no database yet: its entries are kept as a
/// key-value object's are, and go into <c>_cf_KV</c> when the database first opens (the SQL API,
/// <c>databaseSize</c>, <c>transactionSync</c>). SQL cannot read <c>_cf_KV</c>, so no code can tell.
/// </summary>
internal sealed class SqliteObjectStore(ISqliteObjectHost host) : IDurableObjectStore
{
    public bool IsSqlite => true;

    public SqliteObjectDatabase? Sql => host.OpenDatabase();

    public IObjectAlarm Alarm => host;

    public bool IsCurrent(int generation) => host.IsCurrent(generation);

    public string? Read(string key) => host.Entries is { } entries ? entries.GetValueOrDefault(key) : host.OpenDatabase().KvGet(key);

    public IEnumerable<KeyValuePair<string, string>> ReadAll() => host.Entries ?? host.OpenDatabase().KvAll();

    public void Apply(IReadOnlyList<KeyValuePair<string, string?>> changes)
    {
        if (host.Entries is { } entries)
        {
            KvObjectStore.Apply(entries, changes);
        }
        else
        {
            host.OpenDatabase().KvApply(changes);
        }
    }

    public Task PersistAsync() => host.PersistAsync();
}
