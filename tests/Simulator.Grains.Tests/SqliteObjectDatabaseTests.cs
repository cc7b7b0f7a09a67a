using Simulator.Grains.Runtime;

namespace Simulator.Grains.Tests;

/// <summary>The SQLite database of one object, without a cluster: its image and its rules.</summary>
public sealed class SqliteObjectDatabaseTests
{
    [Fact]
    public void A_database_saved_to_its_image_opens_again_with_its_tables_rows_and_key_value_entries()
    {
        byte[] image;
        using (var database = SqliteObjectDatabase.Open(null))
        {
            database.Exec("CREATE TABLE t (v TEXT)", []);
            database.Exec("INSERT INTO t VALUES (?), (?)", ["a", "b"]);
            database.KvApply([new("k", "1")]);
            image = database.Serialize();
        }

        Assert.True(image.Length >= 4096, $"image of {image.Length} bytes");
        using var reopened = SqliteObjectDatabase.Open(image);
        Assert.Equal(["a", "b"], reopened.Exec("SELECT v FROM t ORDER BY v", []).Rows.Select(r => (string)r[0]!));
        Assert.Equal("1", reopened.KvGet("k"));
        reopened.Exec("INSERT INTO t VALUES ('c')", []);
        Assert.True(reopened.Serialize().Length >= image.Length);
    }
}
