using System.Security.Cryptography;
using System.Text;
using Orleans.Serialization;

namespace Simulator.Grains.Storage;

/// <summary>
/// Grain state in files under one directory, shared by the silo processes of one machine: it
/// survives a killed silo. A lock file per entry makes the ETag check and the replace atomic
/// across processes; the new content is written to a temporary file and renamed into place.
/// </summary>
public sealed class FileGrainStorage(string directory, Serializer serializer) : ETagGrainStorage(serializer)
{
    private readonly string _directory = Directory.CreateDirectory(directory).FullName;

    protected override async Task<StoredState?> ReadAsync(StateKey key)
    {
        using var _ = await LockAsync(key);
        return Load(PathOf(key));
    }

    protected override async Task<bool> TryReplaceAsync(StateKey key, string? expectedETag, StoredState? replacement)
    {
        var path = PathOf(key);
        using var _ = await LockAsync(key);
        if (Load(path)?.ETag != expectedETag)
        {
            return false;
        }

        if (replacement is null)
        {
            File.Delete(path);
            return true;
        }

        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var etag = Encoding.UTF8.GetBytes(replacement.ETag);
            await file.WriteAsync(BitConverter.GetBytes(etag.Length));
            await file.WriteAsync(etag);
            await file.WriteAsync(replacement.Data);
            await file.FlushAsync();
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return true;
    }

    private static StoredState? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(path);
        var etagLength = BitConverter.ToInt32(bytes, 0);
        return new StoredState(Encoding.UTF8.GetString(bytes, 4, etagLength), bytes[(4 + etagLength)..]);
    }

    // The file's name hashes "name/id", as it always has: files written before stay readable.
    private string PathOf(StateKey key) =>
        Path.Combine(_directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString()))) + ".state");

    // An exclusive open of the lock file is the cross-process lock; retry while another holds it.
    private async Task<FileStream> LockAsync(StateKey key)
    {
        var path = PathOf(key) + ".lock";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 2000)
            {
                await Task.Delay(5);
            }
        }
    }
}
