using System.Text.Json;

namespace Simulator.Grains.Tests;

/// <summary>Web APIs that Durable Object code uses today: crypto.subtle's digests and HMAC, AbortController.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WebApiTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Crypto_subtle_digests_and_signs_with_hmac_as_the_standard_vectors_say_and_abort_signals_fire()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync(JavaScriptWorkers.Draft("A", """
            const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
            const text = (s) => new TextEncoder().encode(s);
            export default {
              async fetch() {
                const key = await crypto.subtle.importKey("raw", text("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
                const signature = await crypto.subtle.sign("HMAC", key, text("The quick brown fox jumps over the lazy dog"));
                const controller = new AbortController();
                const seen = [];
                controller.signal.addEventListener("abort", (e) => seen.push(e.type));
                controller.abort();
                let refused;
                try { await crypto.subtle.encrypt({ name: "AES-GCM" }, key, text("x")); } catch (e) { refused = e.message; }
                return Response.json({
                  sha256: hex(await crypto.subtle.digest("SHA-256", text("abc"))),
                  sha1: hex(await crypto.subtle.digest({ name: "SHA-1" }, text("abc"))),
                  hmac: hex(signature),
                  verified: await crypto.subtle.verify("HMAC", key, signature, text("The quick brown fox jumps over the lazy dog")),
                  forged: await crypto.subtle.verify("HMAC", key, signature, text("another message")),
                  algorithm: key.algorithm,
                  aborted: controller.signal.aborted, reason: controller.signal.reason.name, seen,
                  already: AbortSignal.abort("why").reason,
                  refused,
                });
              },
            };
            """, "name = \"web\""));
        var result = await worker.FetchAsync("/");
        Assert.True(result.Response.Status == 200, result.Error + result.Response.Text);
        var body = JsonDocument.Parse(result.Response.Text).RootElement;
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", body.GetProperty("sha256").GetString());
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", body.GetProperty("sha1").GetString());
        Assert.Equal("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", body.GetProperty("hmac").GetString());
        Assert.True(body.GetProperty("verified").GetBoolean());
        Assert.False(body.GetProperty("forged").GetBoolean());
        Assert.Equal("{\"name\":\"HMAC\",\"hash\":{\"name\":\"SHA-256\"},\"length\":24}", body.GetProperty("algorithm").GetRawText());
        Assert.True(body.GetProperty("aborted").GetBoolean());
        Assert.Equal("AbortError", body.GetProperty("reason").GetString());
        Assert.Equal("[\"abort\"]", body.GetProperty("seen").GetRawText());
        Assert.Equal("why", body.GetProperty("already").GetString());
        Assert.Contains("crypto.subtle.encrypt is not simulated by dosim", body.GetProperty("refused").GetString(), StringComparison.Ordinal);
    }
}
