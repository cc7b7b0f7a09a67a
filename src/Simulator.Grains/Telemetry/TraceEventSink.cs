using System.Text.Json;
using System.Threading.Channels;
using Simulator.Contracts;

namespace Simulator.Grains.Telemetry;

/// <summary>
/// Writes trace events as NDJSON, one event per line, to standard output ("-") or appended to a
/// file, from a background task so no invocation waits on the disk.
/// </summary>
internal sealed class TraceEventSink : IAsyncDisposable
{
    private readonly Channel<TraceEvent> _events = Channel.CreateUnbounded<TraceEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public TraceEventSink(string output)
    {
        var writer = output == "-" ? Console.Out : new StreamWriter(new FileStream(output, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = false };
        _writer = Task.Run(() => WriteAsync(writer, output != "-"));
    }

    public void Write(TraceEvent traceEvent) => _events.Writer.TryWrite(traceEvent);

    private async Task WriteAsync(TextWriter writer, bool owned)
    {
        try
        {
            while (await _events.Reader.WaitToReadAsync())
            {
                while (_events.Reader.TryRead(out var traceEvent))
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(traceEvent));
                }

                await writer.FlushAsync();
            }
        }
        finally
        {
            if (owned)
            {
                await writer.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _events.Writer.TryComplete();
        await _writer;
    }
}
