using System.Text.Json;
using Simulator.Contracts;

namespace Simulator.Grains.Runtime;

/// <summary>
/// The storage seam of a Durable Object, shared by JavaScript and C# objects: the key-value API on
/// either backend (<see cref="KvObjectStore"/>: the object's grain state; <see cref="SqliteObjectStore"/>:
/// the <c>_cf_KV</c> table of its SQLite database), and the database itself when it has one.
/// </summary>
internal interface IDurableObjectStore
{
    /// <summary>Whether the class is SQLite-backed (its database may not be open yet).</summary>
    bool IsSqlite { get; }

    /// <summary>The object's SQLite database, opened if it is not; null for a key-value-backed class.</summary>
    SqliteObjectDatabase? Sql { get; }

    /// <summary>The object's one alarm, kept with its metadata on either backend.</summary>
    IObjectAlarm Alarm { get; }

    /// <summary>Whether the instance with this generation is still the object's current one.</summary>
    bool IsCurrent(int generation);

    string? Read(string key);

    IEnumerable<KeyValuePair<string, string>> ReadAll();

    /// <summary>Makes the changes what reads see now; <see cref="PersistAsync"/> stores them.</summary>
    void Apply(IReadOnlyList<KeyValuePair<string, string?>> changes);

    /// <summary>Stores every change applied so far, in one write.</summary>
    Task PersistAsync();

    Task WriteAsync(IReadOnlyList<KeyValuePair<string, string?>> changes)
    {
        if (changes.Count == 0)
        {
            return Task.CompletedTask;
        }

        Apply(changes);
        return PersistAsync();
    }
}

/// <summary>
/// A Durable Object's durable storage: values are stored as JSON, keys are listed in order.
/// It survives resets; code of an instance that was reset can no longer use it.
/// </summary>
public sealed class DurableObjectStorage
{
    /// <summary>The platform's limits: keys up to 2 KiB, values up to 128 KiB.</summary>
    public const int MaxKeyBytes = 2048;

    public const int MaxValueBytes = 128 * 1024;

    private readonly IDurableObjectStore _store;
    private readonly int _generation;

    internal DurableObjectStorage(IDurableObjectStore store, int generation)
    {
        _store = store;
        _generation = generation;
    }

    /// <summary>The object's store and this instance's generation (JavaScript's ctx.storage works on them directly).</summary>
    internal (IDurableObjectStore Store, int Generation) Backing => (_store, _generation);

    public Task<T?> GetAsync<T>(string key)
    {
        CheckCurrent();
        CheckKey(key);
        return Task.FromResult(_store.Read(key) is { } json ? JsonSerializer.Deserialize<T>(json) : default);
    }

    public Task<IReadOnlyDictionary<string, T>> GetAsync<T>(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        CheckCurrent();
        var found = new Dictionary<string, T>();
        foreach (var key in keys)
        {
            CheckKey(key);
            if (_store.Read(key) is { } json)
            {
                found[key] = JsonSerializer.Deserialize<T>(json)!;
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, T>>(found);
    }

    public Task PutAsync<T>(string key, T value)
    {
        CheckCurrent();
        CheckKey(key);
        return _store.WriteAsync([new(key, Serialize(key, value))]);
    }

    public Task PutAsync<T>(IReadOnlyDictionary<string, T> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        CheckCurrent();
        var changes = new List<KeyValuePair<string, string?>>();
        foreach (var (key, value) in entries)
        {
            CheckKey(key);
            changes.Add(new(key, Serialize(key, value)));
        }

        return _store.WriteAsync(changes);
    }

    /// <summary>Deletes a key; true if it existed.</summary>
    public async Task<bool> DeleteAsync(string key) => await DeleteAsync([key]) == 1;

    /// <summary>Deletes keys; returns how many existed.</summary>
    public async Task<int> DeleteAsync(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        CheckCurrent();
        var existing = keys.Where(k => { CheckKey(k); return _store.Read(k) is not null; }).Distinct().ToList();
        await _store.WriteAsync([.. existing.Select(k => new KeyValuePair<string, string?>(k, null))]);
        return existing.Count;
    }

    /// <summary>The entries in key order, optionally only those whose key starts with <paramref name="prefix"/>.</summary>
    public Task<IReadOnlyList<KeyValuePair<string, T>>> ListAsync<T>(string? prefix = null, int? limit = null)
    {
        CheckCurrent();
        var entries = _store.ReadAll()
            .Where(e => prefix is null || e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(e => e.Key, StringComparer.Ordinal)
            .Take(limit ?? int.MaxValue)
            .Select(e => new KeyValuePair<string, T>(e.Key, JsonSerializer.Deserialize<T>(e.Value)!))
            .ToList();
        return Task.FromResult<IReadOnlyList<KeyValuePair<string, T>>>(entries);
    }

    private static string Serialize<T>(string key, T value)
    {
        var json = JsonSerializer.Serialize(value);
        return json.Length * 3 > MaxValueBytes && System.Text.Encoding.UTF8.GetByteCount(json) > MaxValueBytes
            ? throw new ArgumentException($"The value for '{key}' is larger than {MaxValueBytes} bytes as JSON: split it over several keys.", nameof(value))
            : json;
    }

    private void CheckCurrent()
    {
        if (!_store.IsCurrent(_generation))
        {
            throw new DurableObjectResetException();
        }
    }

    private static void CheckKey(string key)
    {
        if (string.IsNullOrEmpty(key) || (key.Length * 3 > MaxKeyBytes && System.Text.Encoding.UTF8.GetByteCount(key) > MaxKeyBytes))
        {
            throw new ArgumentException($"A storage key is 1 to {MaxKeyBytes} bytes long (got '{key}').", nameof(key));
        }
    }
}
