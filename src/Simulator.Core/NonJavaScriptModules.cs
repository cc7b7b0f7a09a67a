using System.Text.Json;

namespace Simulator.Core;

/// <summary>
/// Modules that are not JavaScript, as wrangler's module rules make them (<c>Text</c>: .txt, .html,
/// .sql; <c>Data</c>: .bin), given to the code as the platform gives them: an ES module whose
/// default export is the text, or an ArrayBuffer of the bytes. They are stored as that module's
/// JavaScript, under their own name, so imports find them as they are named.
/// </summary>
public static class NonJavaScriptModules
{
    /// <summary>A Text module: <c>import text from "./page.html"</c> gives the string.</summary>
    public static WorkerModule Text(string name, string text) =>
        new(name, $"export default {JsonSerializer.Serialize(text)};\n");

    /// <summary>A Data module: <c>import bytes from "./blob.bin"</c> gives an ArrayBuffer of the bytes.</summary>
    public static WorkerModule Data(string name, byte[] bytes) =>
        new(name, $"const b = atob(\"{Convert.ToBase64String(bytes)}\"); const a = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) a[i] = b.charCodeAt(i); export default a.buffer;\n");

    /// <summary>The rule wrangler applies by default to a file of this name: "Text", "Data", "CompiledWasm", or null for JavaScript.</summary>
    public static string? DefaultRule(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".txt" or ".html" or ".sql" => "Text",
        ".bin" => "Data",
        ".wasm" => "CompiledWasm",
        _ => null,
    };
}
