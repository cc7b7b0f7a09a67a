using Simulator.Core;
using Simulator.Workers;

namespace Simulator.Grains.Tests;

/// <summary>Reading a Worker of the user's own: the bundle and the wrangler configuration.</summary>
public sealed class WorkerProjectTests
{
    private const string Toml = """
        name = "shop"
        main = "dist/index.js"
        [vars]
        GREETING = "hi"
        LIMITS = { max = 3 }
        [[durable_objects.bindings]]
        name = "CARTS"
        class_name = "Cart"
        [[durable_objects.bindings]]
        name = "STOCK"
        class_name = "Stock"
        [[migrations]]
        tag = "v1"
        new_classes = ["Cart", "Old"]
        [[migrations]]
        tag = "v2"
        new_sqlite_classes = ["Stock"]
        deleted_classes = ["Old"]
        [[services]]
        binding = "AUTH"
        service = "auth-worker"
        [[services]]
        binding = "USERS"
        service = "auth-worker"
        entrypoint = "Users"
        [version_metadata]
        binding = "VERSION"
        """;

    private const string Jsonc = """
        // The same Worker in wrangler.jsonc, comments and trailing commas included.
        {
          "name": "shop",
          "main": "dist/index.js",
          "vars": { "GREETING": "hi", "LIMITS": { "max": 3 }, },
          "durable_objects": { "bindings": [ { "name": "CARTS", "class_name": "Cart" }, { "name": "STOCK", "class_name": "Stock" } ] },
          "migrations": [ { "tag": "v1", "new_classes": ["Cart", "Old"] }, { "tag": "v2", "new_sqlite_classes": ["Stock"], "deleted_classes": ["Old"] } ],
          "services": [ { "binding": "AUTH", "service": "auth-worker" }, { "binding": "USERS", "service": "auth-worker", "entrypoint": "Users" } ],
          /* the version metadata binding */
          "version_metadata": { "binding": "VERSION" },
        }
        """;

    [Theory]
    [InlineData(Toml, "toml")]
    [InlineData(Jsonc, "json")]
    public void The_configuration_gives_the_versions_bindings_classes_and_migration_tag(string text, string format)
    {
        var project = WorkerProject.From([new WorkerModule("index.js", "export default {}")], WranglerConfig.Parse(text, format));
        var draft = project.Draft("A", "first");

        Assert.Equal("shop", project.Name);
        Assert.Equal("index.js", draft.Script);
        Assert.Equal(["Cart", "Stock"], draft.DurableObjectClasses);
        Assert.Equal("v2", draft.MigrationTag);
        Assert.Equal("hi", draft.Vars["GREETING"]);
        Assert.Equal("{\"max\":3}", draft.Vars["LIMITS"]);
        Assert.Equal(["LIMITS"], draft.Code!.JsonVars);
        Assert.Equal("Cart", draft.Code.DurableObjectBindings["CARTS"]);
        Assert.Equal("auth-worker", draft.Code.ServiceBindings["AUTH"]);
        Assert.Equal("auth-worker", draft.Code.ServiceBindings["USERS"]);
        Assert.Equal("Users", Assert.Single(draft.Code.ServiceEntrypoints, e => e.Key == "USERS").Value);
        Assert.Equal("VERSION", draft.Code.VersionMetadataBinding);
    }

    [Theory]
    [InlineData("[[kv_namespaces]]\nbinding = \"KV\"\nid = \"x\"", "'kv_namespaces', a binding dosim does not simulate")]
    [InlineData("[[r2_buckets]]\nbinding = \"B\"\nbucket_name = \"x\"", "'r2_buckets', a binding dosim does not simulate")]
    [InlineData("[[durable_objects.bindings]]\nname = \"X\"\nclass_name = \"Y\"\nscript_name = \"other\"", "another Worker ('other')")]
    [InlineData("[[durable_objects.bindings]]\nname = \"X\"", "has no 'class_name'")]
    [InlineData("name = ", "is not valid TOML")]
    [InlineData("[[services]]\nbinding = \"S\"\nservice = \"w\"\nentrypoint = 3", "Service binding 'S' has an entrypoint that is not a name")]
    public void A_configuration_dosim_cannot_run_is_refused_with_what_to_fix(string text, string expected)
    {
        var error = Assert.Throws<WorkerProjectException>(() =>
        {
            var config = WranglerConfig.Parse(text, "toml");
            return (config.DurableObjectBindings(), config.ServiceEntrypoints());
        });
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[durable_objects]\ncode_update_strategy = { mode = \"deferred\", max_delay = 30 }", "toml", "deferred", 30d)]
    [InlineData("[durable_objects]\ncode_update_strategy = { mode = \"deferred\", max_delay = 1.5 }", "toml", "deferred", 1.5)]
    [InlineData("[durable_objects]\ncode_update_strategy = { mode = \"immediate\" }", "toml", "immediate", null)]
    [InlineData("{ // as wrangler.jsonc\n \"durable_objects\": { \"code_update_strategy\": { \"mode\": \"deferred\" } } }", "json", "deferred", null)]
    public void The_configurations_code_update_strategy_is_read_as_wrangler_sends_it(string text, string format, string mode, double? delay) =>
        Assert.Equal(new Core.CodeUpdateStrategy(mode, delay), WranglerConfig.Parse(text, format).DurableObjectsCodeUpdate());

    [Theory]
    [InlineData("[durable_objects]\ncode_update_strategy = \"deferred\"", "is a table with a 'mode'")]
    [InlineData("[durable_objects]\ncode_update_strategy = { mode = \"immediate\", max_delay = 5 }", "takes no max_delay")]
    [InlineData("[durable_objects]\ncode_update_strategy = { mode = \"deferred\", max_delay = 90000 }", "between 0 and 86400")]
    public void A_bad_code_update_strategy_in_the_configuration_is_refused_with_what_to_fix(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<WorkerProjectException>(() => WranglerConfig.Parse(text, "toml").DurableObjectsCodeUpdate()).Message, StringComparison.Ordinal);

    [Fact]
    public void Text_and_data_modules_follow_wranglers_default_rules_and_custom_rules_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("dosim-rules-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "index.js"), "import q from './q.sql'; export default {};");
            File.WriteAllText(Path.Combine(dir.FullName, "q.sql"), "SELECT 1;");
            File.WriteAllBytes(Path.Combine(dir.FullName, "b.bin"), [7, 8]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "m.wasm"), [0, 97, 115, 109]);
            File.WriteAllText(Path.Combine(dir.FullName, "wrangler.toml"), "name = \"r\"\n[[rules]]\ntype = \"Text\"\nglobs = [\"**/*.md\"]\n");

            var project = WorkerProject.Load([Path.Combine(dir.FullName, "index.js"), Path.Combine(dir.FullName, "q.sql"), Path.Combine(dir.FullName, "b.bin")], null);

            Assert.Equal("export default \"SELECT 1;\";\n", project.Code.Modules[1].Content);
            Assert.Contains("atob(\"Bwg=\")", project.Code.Modules[2].Content, StringComparison.Ordinal);
            var wasm = Assert.Throws<WorkerProjectException>(() => WorkerProject.Load([Path.Combine(dir.FullName, "index.js"), Path.Combine(dir.FullName, "m.wasm")], null));
            Assert.Contains("WebAssembly, which dosim does not simulate", wasm.Message, StringComparison.Ordinal);
            var rules = Assert.Throws<WorkerProjectException>(() => WorkerProject.Load([Path.Combine(dir.FullName, "index.js")], Path.Combine(dir.FullName, "wrangler.toml")));
            Assert.Contains("module 'rules', which dosim deploy does not read", rules.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Modules_are_named_from_the_main_modules_folder_and_typescript_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("dosim-project-");
        try
        {
            Directory.CreateDirectory(Path.Combine(dir.FullName, "dist", "lib"));
            File.WriteAllText(Path.Combine(dir.FullName, "dist", "index.js"), "import './lib/util.js'; export default {};");
            File.WriteAllText(Path.Combine(dir.FullName, "dist", "lib", "util.js"), "export const x = 1;");
            File.WriteAllText(Path.Combine(dir.FullName, "src.ts"), "export default {};");

            var project = WorkerProject.Load([Path.Combine(dir.FullName, "dist", "index.js"), Path.Combine(dir.FullName, "dist", "lib", "util.js")], null);

            Assert.Equal(["index.js", "lib/util.js"], project.Code.Modules.Select(m => m.Name));
            Assert.Equal(64, project.Code.Hash.Length);
            var ts = Assert.Throws<WorkerProjectException>(() => WorkerProject.Load([Path.Combine(dir.FullName, "src.ts")], null));
            Assert.Contains("bundle it first", ts.Message, StringComparison.Ordinal);
            var missing = Assert.Throws<WorkerProjectException>(() => WorkerProject.Load([Path.Combine(dir.FullName, "nope.js")], null));
            Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Equal_modules_have_equal_hashes_and_any_change_changes_it()
    {
        WorkerCode Code(string name, string content) => new() { Modules = [new WorkerModule(name, content)] };
        Assert.Equal(Code("a.js", "x").Hash, Code("a.js", "x").Hash);
        Assert.NotEqual(Code("a.js", "x").Hash, Code("a.js", "y").Hash);
        Assert.NotEqual(Code("a.js", "x").Hash, Code("b.js", "x").Hash);
    }
}
