using System.Text.Json;

namespace Simulator.Api;

/// <summary>
/// The <c>--api-log</c> file: one JSON object per line for every API request (time, method, path,
/// query, status, error code, milliseconds), so a user sees what their tool called.
/// </summary>
public sealed class ApiRequestLog : IDisposable
{
    private readonly StreamWriter? _writer;
    private readonly Lock _lock = new();

    public ApiRequestLog(PlatformApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.LogPath is { } path)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    public bool Enabled => _writer is not null;

    public void Write(ApiRequestRecord record)
    {
        if (_writer is null)
        {
            return;
        }

        var line = JsonSerializer.Serialize(record, ApiJson.Log);
        lock (_lock)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose() => _writer?.Dispose();
}

/// <summary>One line of the API request log.</summary>
public sealed record ApiRequestRecord(DateTimeOffset Time, string Method, string Path, string? Query, int Status, int? Code, double Ms);
