using System.Runtime.InteropServices;
using System.Text;
using SQLitePCL;

namespace Simulator.Grains.Runtime;

/// <summary>What one <c>sql.exec</c> gave: the last statement's columns and rows, and the rows it read and wrote.</summary>
/// <remarks>Values are null, double (INTEGER and REAL, as the platform gives numbers), string or byte[] (BLOB).</remarks>
public sealed record SqlResult(string[] Columns, List<object?[]> Rows, long RowsRead, long RowsWritten);

/// <summary>An error SQLite or the platform's rules gave a statement, in the platform's words.</summary>
public sealed class SqlStorageException : Exception
{
    public SqlStorageException()
    {
    }

    public SqlStorageException(string message)
        : base(message)
    {
    }

    public SqlStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A SQLite-backed Durable Object's database: the real SQLite (Microsoft.Data.Sqlite's bundled
/// e_sqlite3), in memory, loaded from and saved to an image that the object's grain stores. It has
/// the platform's rules, as workerd sets them up: its limits, an authorizer that refuses
/// transactions, ATTACH, most PRAGMAs and names starting <c>_cf_</c> (where the KV API keeps its
/// <c>_cf_KV</c> table), and errors worded "&lt;message&gt;: SQLITE_&lt;CODE&gt;".
/// </summary>
public sealed partial class SqliteObjectDatabase : IDisposable
{
    /// <summary>The platform's text for BEGIN or SAVEPOINT in user SQL.</summary>
    public const string TransactionRefused =
        "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing.";

    private static readonly HashSet<string> AllowedPragmas = new(StringComparer.OrdinalIgnoreCase)
    {
        "data_version", "page_size", "case_sensitive_like", "foreign_keys", "defer_foreign_keys", "ignore_check_constraints",
        "legacy_alter_table", "recursive_triggers", "reverse_unordered_selects", "foreign_key_check", "foreign_key_list",
        "index_info", "index_list", "index_xinfo", "table_list", "quick_check", "optimize",
    };

    private const int MaxCachedStatements = 64;

    private readonly sqlite3 _db;
    private readonly strdelegate_authorizer _authorizer;
    // Prepared statements of single-statement queries, the code's and the runtime's own apart: the
    // authorizer judges a statement when it is prepared.
    private readonly Dictionary<string, sqlite3_stmt> _statements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, sqlite3_stmt> _trustedStatements = new(StringComparer.Ordinal);
    private bool _trusted;
    private string? _authError;
    private bool _hasKv;
    private int _savepoints;

    private SqliteObjectDatabase(byte[]? image)
    {
        // Opened on Microsoft.Data.Sqlite's SQLite (its bundled e_sqlite3), without the ADO.NET
        // connection around it: a connection object was 20 KiB of every active object.
        Batteries_V2.Init();
        var opened = raw.sqlite3_open_v2(":memory:", out _db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE, null);
        if (opened != raw.SQLITE_OK)
        {
            throw new SqlStorageException($"SQLite could not open a database: {raw.sqlite3_errstr(opened).utf8_to_string()}.");
        }

        // Memory: thousands of objects each hold a database. No lookaside buffers (SQLite's
        // default is 48 KiB per connection), and a small page cache (below).
        raw.sqlite3_db_config(_db, raw.SQLITE_DBCONFIG_LOOKASIDE, IntPtr.Zero, 0, 0);
        raw.sqlite3_db_config(_db, raw.SQLITE_DBCONFIG_DEFENSIVE, 1, out _);
        if (image is { Length: > 0 })
        {
            var memory = raw.sqlite3_malloc64(image.Length);
            Marshal.Copy(image, 0, memory, image.Length);
            Check(raw.sqlite3_deserialize(_db, "main", memory, image.Length, image.Length, raw.SQLITE_DESERIALIZE_FREEONCLOSE | raw.SQLITE_DESERIALIZE_RESIZEABLE));
        }

        // As workerd's setupSecurity: the limits, then the authorizer.
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_LENGTH, 4 * 1024 * 1024);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_SQL_LENGTH, 100_000);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_COLUMN, 100);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_EXPR_DEPTH, 100);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_COMPOUND_SELECT, 5);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_VDBE_OP, 25_000);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_FUNCTION_ARG, 127);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_ATTACHED, 0);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_VARIABLE_NUMBER, 100);
        raw.sqlite3_limit(_db, raw.SQLITE_LIMIT_TRIGGER_DEPTH, 10);
        _authorizer = Authorize;
        raw.sqlite3_set_authorizer(_db, _authorizer, null);

        // A small page cache (16 KiB): an object's database is small, and there may be thousands.
        Trusted("PRAGMA cache_size = -16");
        _hasKv = Trusted("SELECT 1 FROM sqlite_master WHERE name = '_cf_KV'").Rows.Count > 0;
    }

    /// <summary>How many statements that may write (not read-only) the code has run: a change means there is something to store.</summary>
    public long Writes { get; private set; }

    /// <summary>Opens a database from its stored image (null or empty: a new, empty database).</summary>
    public static SqliteObjectDatabase Open(byte[]? image) => new(image);

    /// <summary>The database's bytes as SQLite writes its file: what the object's grain stores.</summary>
    public byte[] Serialize()
    {
        // SQLite reads the page count with a PRAGMA of its own, which the authorizer would refuse.
        _trusted = true;
        IntPtr memory;
        long size;
        try
        {
            memory = raw.sqlite3_serialize(_db, "main", out size, 0);
        }
        finally
        {
            _trusted = false;
        }

        if (memory == IntPtr.Zero)
        {
            return [];
        }

        try
        {
            var image = new byte[size];
            Marshal.Copy(memory, image, 0, (int)size);
            return image;
        }
        finally
        {
            raw.sqlite3_free(memory);
        }
    }

    /// <summary>The platform's <c>databaseSize</c>: pages in use times the page size.</summary>
    public long DatabaseSize
    {
        get
        {
            long Pragma(string name) => (long)(double)Trusted($"PRAGMA {name}").Rows[0][0]!;
            return (Pragma("page_count") - Pragma("freelist_count")) * Pragma("page_size");
        }
    }

    /// <summary>
    /// Runs <c>sql.exec(query, ...bindings)</c>: every statement of the query, the bindings going to
    /// the last, whose rows come back. Values bound are null, string, double or byte[].
    /// </summary>
    public SqlResult Exec(string query, IReadOnlyList<object?> bindings)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(bindings);
        var statements = _trusted ? _trustedStatements : _statements;
        if (statements.TryGetValue(query, out var cached))
        {
            return Run(cached, bindings, last: true, reuse: true);
        }

        var bytes = Encoding.UTF8.GetBytes(query);
        ReadOnlySpan<byte> rest = bytes;
        SqlResult? result = null;
        long read = 0, written = 0;
        var first = true;
        while (true)
        {
            rest = TrimStart(rest);
            if (rest.IsEmpty)
            {
                break;
            }

            _authError = null;
            var rc = raw.sqlite3_prepare_v2(_db, rest, out var statement, out var tail);
            if (rc != raw.SQLITE_OK)
            {
                statement?.Dispose();
                throw Failure(rc);
            }

            if (statement is null || statement.IsInvalid)
            {
                // A comment or an empty statement.
                rest = tail;
                continue;
            }

            var last = TrimStart(tail).IsEmpty;
            var single = first && last;
            first = false;
            try
            {
                var done = Run(statement, last ? bindings : [], last, reuse: false);
                (read, written) = (read + done.RowsRead, written + done.RowsWritten);
                result = done;
            }
            finally
            {
                if (single && statements.Count < MaxCachedStatements && (!_trusted || bindings.Count > 0) && !IsSchemaChange(query))
                {
                    statements[query] = statement;
                }
                else
                {
                    statement.Dispose();
                }
            }

            rest = tail;
        }

        return result is null
            ? throw new SqlStorageException("SQL code did not contain a statement.")
            : result with { RowsRead = read, RowsWritten = written };
    }

    private SqlResult Run(sqlite3_stmt statement, IReadOnlyList<object?> bindings, bool last, bool reuse)
    {
        if (reuse)
        {
            raw.sqlite3_reset(statement);
            raw.sqlite3_clear_bindings(statement);
        }

        if (last && raw.sqlite3_bind_parameter_count(statement) != bindings.Count)
        {
            throw new SqlStorageException("Wrong number of parameter bindings for SQL query.");
        }

        for (var i = 0; i < bindings.Count; i++)
        {
            var rc = bindings[i] switch
            {
                null => raw.sqlite3_bind_null(statement, i + 1),
                string text => raw.sqlite3_bind_text(statement, i + 1, text),
                double number => raw.sqlite3_bind_double(statement, i + 1, number),
                byte[] blob => raw.sqlite3_bind_blob(statement, i + 1, blob),
                var other => throw new SqlStorageException($"A SQL binding is null, a string, a number or an ArrayBuffer (got {other.GetType().Name})."),
            };
            Check(rc);
        }

        var columns = new string[raw.sqlite3_column_count(statement)];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = raw.sqlite3_column_name(statement, i).utf8_to_string();
        }

        var rows = new List<object?[]>();
        var readOnly = raw.sqlite3_stmt_readonly(statement) != 0;
        var before = raw.sqlite3_total_changes(_db);
        if (!readOnly && !_trusted)
        {
            Writes++;
        }
        try
        {
            while (true)
            {
                var rc = raw.sqlite3_step(statement);
                if (rc == raw.SQLITE_DONE)
                {
                    break;
                }

                if (rc != raw.SQLITE_ROW)
                {
                    throw Failure(rc);
                }

                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = raw.sqlite3_column_type(statement, i) switch
                    {
                        raw.SQLITE_INTEGER => (double)raw.sqlite3_column_int64(statement, i),
                        raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, i),
                        raw.SQLITE_TEXT => raw.sqlite3_column_text(statement, i).utf8_to_string(),
                        raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, i).ToArray(),
                        _ => null,
                    };
                }

                rows.Add(row);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }

        var written = readOnly ? 0 : raw.sqlite3_total_changes(_db) - before;
        return new SqlResult(columns, rows, rows.Count, written);
    }

    // --- the KV API's table, _cf_KV, as the platform keeps it ---------------------------------------

    public string? KvGet(string key)
    {
        if (!_hasKv)
        {
            return null;
        }

        var rows = Trusted("SELECT value FROM _cf_KV WHERE key = ?", key).Rows;
        return rows.Count == 0 ? null : rows[0][0] as string;
    }

    /// <summary>Every entry, in key order.</summary>
    public IEnumerable<KeyValuePair<string, string>> KvAll() =>
        _hasKv ? [.. Trusted("SELECT key, value FROM _cf_KV ORDER BY key").Rows.Select(r => new KeyValuePair<string, string>((string)r[0]!, (string)r[1]!))] : [];

    /// <summary>Puts (a value) or deletes (null) keys.</summary>
    public void KvApply(IReadOnlyList<KeyValuePair<string, string?>> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (!_hasKv)
        {
            Trusted("CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID");
            _hasKv = true;
        }

        foreach (var (key, value) in changes)
        {
            _ = value is null ? Trusted("DELETE FROM _cf_KV WHERE key = ?", key) : Trusted("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", key, value);
        }
    }

    // --- transactionSync: nested savepoints, as workerd names them ----------------------------------

    public void BeginSavepoint() => Trusted($"SAVEPOINT _cf_savepoint_{_savepoints++}");

    public void ReleaseSavepoint() => Trusted($"RELEASE _cf_savepoint_{--_savepoints}");

    public void RollbackSavepoint()
    {
        var depth = --_savepoints;
        Trusted($"ROLLBACK TO _cf_savepoint_{depth}");
        Trusted($"RELEASE _cf_savepoint_{depth}");
    }

    public void Dispose()
    {
        foreach (var statement in _statements.Values.Concat(_trustedStatements.Values))
        {
            statement.Dispose();
        }

        _statements.Clear();
        _trustedStatements.Clear();
        _db.Dispose();
    }

    private SqlResult Trusted(string sql, params object?[] bindings)
    {
        _trusted = true;
        try
        {
            return Exec(sql, bindings);
        }
        finally
        {
            _trusted = false;
        }
    }

    // workerd's SqliteDatabase::isAuthorized with its SqlStorageRegulator, for the code's own SQL.
    private int Authorize(object userData, int action, string? first, string? second, string? database, string? trigger)
    {
        if (_trusted)
        {
            return raw.SQLITE_OK;
        }

        static bool Allowed(string? name) => name is null || name.Length < 4 || !name.StartsWith("_cf_", StringComparison.OrdinalIgnoreCase);
        var ok = action switch
        {
            raw.SQLITE_SELECT or raw.SQLITE_ANALYZE or raw.SQLITE_FUNCTION or raw.SQLITE_RECURSIVE => true,
            raw.SQLITE_CREATE_TABLE or raw.SQLITE_DELETE or raw.SQLITE_DROP_TABLE or raw.SQLITE_INSERT or raw.SQLITE_CREATE_VIEW
                or raw.SQLITE_DROP_VIEW or raw.SQLITE_REINDEX or raw.SQLITE_READ or raw.SQLITE_UPDATE => Allowed(first),
            raw.SQLITE_ALTER_TABLE or raw.SQLITE_CREATE_INDEX or raw.SQLITE_DROP_INDEX or raw.SQLITE_CREATE_TRIGGER or raw.SQLITE_DROP_TRIGGER => Allowed(first) && Allowed(second),
            raw.SQLITE_TRANSACTION or raw.SQLITE_SAVEPOINT => RefuseTransaction(),
            raw.SQLITE_PRAGMA => first is "table_info" or "table_xinfo" ? Allowed(second) : AllowedPragmas.Contains(first ?? string.Empty),
            _ => false,
        };
        return ok ? raw.SQLITE_OK : raw.SQLITE_DENY;
    }

    private bool RefuseTransaction()
    {
        _authError = TransactionRefused;
        return false;
    }

    // workerd's dbErrorMessage: "<message>[ at offset N]: SQLITE_<CODE>[ (extended: SQLITE_<CODE>_<X>)]".
    private SqlStorageException Failure(int rc)
    {
        if (_authError is { } refused)
        {
            _authError = null;
            return new SqlStorageException(refused);
        }

        var message = new StringBuilder(raw.sqlite3_errmsg(_db).utf8_to_string());
        var offset = NativeMethods.sqlite3_error_offset(_db.DangerousGetHandle());
        if (offset != -1)
        {
            message.Append(" at offset ").Append(offset);
        }

        message.Append(": ").Append(CodeName(rc & 0xff));
        var extended = raw.sqlite3_extended_errcode(_db);
        if (extended != (rc & 0xff) && ExtendedName(extended) is { } name)
        {
            message.Append(" (extended: ").Append(name).Append(')');
        }

        return new SqlStorageException(message.ToString());
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Failure(rc);
        }
    }

    // CREATE, ALTER and DROP run once or rarely: their prepared statements are not worth keeping.
    private static bool IsSchemaChange(string query)
    {
        var text = query.AsSpan().TrimStart();
        return text.StartsWith("CREATE", StringComparison.OrdinalIgnoreCase) || text.StartsWith("ALTER", StringComparison.OrdinalIgnoreCase) || text.StartsWith("DROP", StringComparison.OrdinalIgnoreCase);
    }

    private static ReadOnlySpan<byte> TrimStart(ReadOnlySpan<byte> sql)
    {
        var i = 0;
        while (i < sql.Length && (sql[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0b or 0x0c or 0))
        {
            i++;
        }

        return sql[i..];
    }

    private static string CodeName(int code) => code switch
    {
        1 => "SQLITE_ERROR", 2 => "SQLITE_INTERNAL", 3 => "SQLITE_PERM", 4 => "SQLITE_ABORT", 5 => "SQLITE_BUSY", 6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM", 8 => "SQLITE_READONLY", 9 => "SQLITE_INTERRUPT", 10 => "SQLITE_IOERR", 11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND", 13 => "SQLITE_FULL", 14 => "SQLITE_CANTOPEN", 15 => "SQLITE_PROTOCOL", 16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA", 18 => "SQLITE_TOOBIG", 19 => "SQLITE_CONSTRAINT", 20 => "SQLITE_MISMATCH", 21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS", 23 => "SQLITE_AUTH", 24 => "SQLITE_FORMAT", 25 => "SQLITE_RANGE", 26 => "SQLITE_NOTADB",
        _ => $"SQLITE_UNKNOWN_ERROR_CODE({code})",
    };

    private static string? ExtendedName(int code) => code switch
    {
        275 => "SQLITE_CONSTRAINT_CHECK", 531 => "SQLITE_CONSTRAINT_COMMITHOOK", 787 => "SQLITE_CONSTRAINT_FOREIGNKEY",
        1043 => "SQLITE_CONSTRAINT_FUNCTION", 1299 => "SQLITE_CONSTRAINT_NOTNULL", 1555 => "SQLITE_CONSTRAINT_PRIMARYKEY",
        1811 => "SQLITE_CONSTRAINT_TRIGGER", 2067 => "SQLITE_CONSTRAINT_UNIQUE", 2323 => "SQLITE_CONSTRAINT_VTAB",
        2579 => "SQLITE_CONSTRAINT_ROWID", 3091 => "SQLITE_CONSTRAINT_DATATYPE",
        _ => null,
    };

    private static partial class NativeMethods
    {
        // Not in SQLitePCLRaw's API; the same native library Microsoft.Data.Sqlite loaded.
        [LibraryImport("e_sqlite3")]
        [UnmanagedCallConv(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
        public static partial int sqlite3_error_offset(IntPtr db);
    }
}
