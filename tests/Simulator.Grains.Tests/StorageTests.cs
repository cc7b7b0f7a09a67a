using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Simulator.Grains.Storage;

namespace Simulator.Grains.Tests;

/// <summary>The ETag rule of the simulator's stores: a write on stale state is refused, never applied.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StorageTests(ClusterFixture fixture)
{
    private sealed class Holder<T> : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = default!;
        public string? ETag { get; set; }
        public bool RecordExists { get; set; }
    }

    private Serializer Serializer => fixture.Cluster.Cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();

    public static TheoryData<string> Stores => ["files", "shared memory"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Two_writers_of_one_state_one_wins_and_the_stale_one_is_refused(string kind)
    {
        var directory = Directory.CreateTempSubdirectory("dosim-storage-").FullName;
        var shared = new SharedMemoryStore();
        IGrainStorage Open() => kind == "files" ? new FileGrainStorage(directory, Serializer) : new SharedMemoryGrainStorage(shared, Serializer);
        var (first, second) = (Open(), Open());
        var id = GrainId.Create("test", "one");

        var a = new Holder<List<string>>();
        var b = new Holder<List<string>>();
        await first.ReadStateAsync("s", id, a);
        await second.ReadStateAsync("s", id, b);
        Assert.False(a.RecordExists);

        a.State = ["from a"];
        await first.WriteStateAsync("s", id, a);
        b.State = ["from b"];
        await Assert.ThrowsAsync<InconsistentStateException>(() => second.WriteStateAsync("s", id, b));

        var reread = new Holder<List<string>>();
        await second.ReadStateAsync("s", id, reread);
        Assert.Equal(["from a"], reread.State);
        Assert.Equal(a.ETag, reread.ETag);

        await second.ClearStateAsync("s", id, reread);
        var cleared = new Holder<List<string>>();
        await first.ReadStateAsync("s", id, cleared);
        Assert.False(cleared.RecordExists);
        Assert.Empty(cleared.State);
    }
}
