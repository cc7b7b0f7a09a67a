using System.Text;
using System.Text.Json;
using Simulator.Contracts;

namespace Simulator.Grains.Tests;

/// <summary>ReadableStream, WritableStream and TransformStream, and bodies read and sent as streams.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JavaScriptStreamTests(ClusterFixture fixture)
{
    private const string NoObjects = "name = \"streams\"\nmain = \"index.js\"";

    private async Task<InvocationResult> Run(string main, string? body = null, string config = NoObjects)
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", main, config));
        var request = new WorkerRequest { Method = body is null ? "GET" : "POST", Url = $"https://{worker.Name}.localhost/", Body = body is null ? null : Encoding.UTF8.GetBytes(body) };
        return await fixture.Cluster.Client.GetGrain<IWorkerGrain>(worker.Name).Invoke(request);
    }

    [Fact]
    public async Task A_request_body_piped_through_transforms_is_the_responses_body_sent_when_its_stream_closes()
    {
        var result = await Run("""
            export default {
              async fetch(request) {
                const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); }, flush(c) { c.enqueue("!"); } });
                const body = request.body.pipeThrough(new TextDecoderStream()).pipeThrough(upper).pipeThrough(new TextEncoderStream());
                return new Response(body, { headers: { "x-used": String(request.bodyUsed) } });
              },
            };
            """, "héllo wörld");

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        Assert.Equal("HÉLLO WÖRLD!", result.Response.Text);
        Assert.Equal("true", result.Response.Headers.Single(h => h.Key == "x-used").Value);
    }

    [Fact]
    public async Task A_stream_fed_by_timers_is_sent_once_it_closes_and_a_character_split_between_chunks_is_decoded_whole()
    {
        var result = await Run("""
            export default {
              fetch() {
                const bytes = new TextEncoder().encode("aé😀z");
                let i = 0;
                const stream = new ReadableStream({
                  pull(c) {
                    return new Promise((resolve) => setTimeout(() => {
                      if (i < bytes.length) c.enqueue(bytes.slice(i, ++i)); else c.close();
                      resolve();
                    }, 10));
                  },
                });
                return new Response(stream.pipeThrough(new TextDecoderStream()).pipeThrough(new TextEncoderStream()));
              },
            };
            """);

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        Assert.Equal("aé😀z", result.Response.Text);
    }

    [Fact]
    public async Task Readers_writers_tee_iteration_cancel_and_errors_behave_as_the_streams_standard_says()
    {
        var result = await Run("""
            const attempt = async (f) => { try { return await f(); } catch (e) { return `${e.name}: ${e.message}`; } };
            export default {
              async fetch() {
                const out = {};
                // A reader: chunks in order, then done; the lock.
                const s = new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } });
                const reader = s.getReader();
                out.locked = s.locked;
                out.second = await attempt(() => s.getReader());
                out.reads = [await reader.read(), await reader.read(), await reader.read()];
                reader.releaseLock();
                out.unlocked = !s.locked;
                // tee: both branches see every chunk.
                const [a, b] = ReadableStream.from(["x", "y"]).tee();
                const all = async (r) => { const got = []; for await (const v of r) got.push(v); return got; };
                out.tee = [await all(a), await all(b)];
                // cancel reaches the source with its reason.
                let cancelled = null;
                const c = new ReadableStream({ pull(ctl) { ctl.enqueue("more"); }, cancel(reason) { cancelled = reason; } });
                await c.cancel("enough");
                out.cancelled = cancelled;
                // An erroring source rejects reads; pipeTo aborts the destination.
                const bad = new ReadableStream({ start(ctl) { ctl.error(new RangeError("broken")); } });
                out.readError = await attempt(() => bad.getReader().read());
                let aborted = null;
                const sink = new WritableStream({ abort(reason) { aborted = reason.message; } });
                out.pipe = await attempt(() => new ReadableStream({ start(ctl) { ctl.error(new Error("source failed")); } }).pipeTo(sink));
                out.aborted = aborted;
                // A writer: writes in order, close resolves closed.
                const written = [];
                const w = new WritableStream({ write(chunk) { written.push(chunk); }, close() { written.push("closed"); } });
                const writer = w.getWriter();
                await writer.write("one");
                await writer.write("two");
                await writer.close();
                await writer.closed;
                out.written = written;
                out.writeAfterClose = await attempt(() => writer.write("three"));
                // Enqueue after close is a TypeError.
                out.enqueueAfterClose = await attempt(async () => new ReadableStream({ start(ctl) { ctl.close(); ctl.enqueue(1); } }));
                // A body read as a stream is used; reading it again fails.
                const response = new Response("body text");
                const text = await new Response(response.body).text();
                out.bodyText = text;
                out.bodyUsed = response.bodyUsed;
                out.again = await attempt(() => response.text());
                // A cloned stream body: both read it.
                const streamed = new Response(ReadableStream.from([new TextEncoder().encode("cl"), new TextEncoder().encode("one")]));
                const copy = streamed.clone();
                out.clone = [await streamed.text(), await copy.text()];
                out.types = [typeof ReadableStreamDefaultReader, typeof WritableStreamDefaultWriter, typeof IdentityTransformStream];
                return Response.json(out);
              },
            };
            """);

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.True(body.GetProperty("locked").GetBoolean());
        Assert.Equal("TypeError: This ReadableStream is currently locked to a reader.", body.GetProperty("second").GetString());
        Assert.Equal("""[{"value":1,"done":false},{"value":2,"done":false},{"done":true}]""", body.GetProperty("reads").GetRawText());
        Assert.True(body.GetProperty("unlocked").GetBoolean());
        Assert.Equal("""[["x","y"],["x","y"]]""", body.GetProperty("tee").GetRawText());
        Assert.Equal("enough", body.GetProperty("cancelled").GetString());
        Assert.Equal("RangeError: broken", body.GetProperty("readError").GetString());
        Assert.Equal("Error: source failed", body.GetProperty("pipe").GetString());
        Assert.Equal("source failed", body.GetProperty("aborted").GetString());
        Assert.Equal("""["one","two","closed"]""", body.GetProperty("written").GetRawText());
        Assert.StartsWith("TypeError:", body.GetProperty("writeAfterClose").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("TypeError: Cannot enqueue a chunk", body.GetProperty("enqueueAfterClose").GetString(), StringComparison.Ordinal);
        Assert.Equal("body text", body.GetProperty("bodyText").GetString());
        Assert.True(body.GetProperty("bodyUsed").GetBoolean());
        Assert.Equal("TypeError: Body has already been used. Use tee() first if you need to read it twice.", body.GetProperty("again").GetString());
        Assert.Equal("""["clone","clone"]""", body.GetProperty("clone").GetRawText());
        Assert.Equal("""["function","function","function"]""", body.GetProperty("types").GetRawText());
    }

    [Fact]
    public async Task A_stream_body_sent_to_an_object_arrives_whole_and_one_that_gives_text_fails_the_response()
    {
        var result = await Run("""
            export class Counter {
              async fetch(request) {
                const reader = request.body.getReader();
                const chunks = [];
                for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value.length);
                return Response.json({ chunks });
              }
            }
            export default {
              async fetch(request, env) {
                const stub = env.COUNTER.get(env.COUNTER.idFromName("s"));
                const body = ReadableStream.from(["ab", "cde"]).pipeThrough(new TextEncoderStream());
                const answer = await (await stub.fetch(new Request("https://object/", { method: "POST", body }))).json();
                return Response.json(answer);
              },
            };
            """, config: JavaScriptWorkers.CounterConfig);

        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        Assert.Equal("""{"chunks":[5]}""", result.Response.Text);

        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            export default { fetch() { return new Response(ReadableStream.from(["not bytes"])); } };
            """, NoObjects));
        var failed = await worker.FetchAsync("/");
        Assert.Equal(500, failed.Response.Status);
        Assert.Contains("This ReadableStream did not return bytes", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_stream_that_nothing_will_close_fails_instead_of_hanging()
    {
        var result = await Run("""
            export default { fetch() { return new Response(new ReadableStream({ start(c) { c.enqueue(new Uint8Array([1])); } })); } };
            """);

        Assert.Equal(500, result.Response.Status);
        Assert.Contains("will never generate a response", result.Error, StringComparison.Ordinal);
    }
}
