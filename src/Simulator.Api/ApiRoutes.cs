namespace Simulator.Api;

/// <summary>The API's routes (under <c>/client/v4</c>): a path template and a handler per method.</summary>
public static class ApiRoutes
{
    private static readonly (string[] Template, Dictionary<string, Func<ApiCall, Task>> Methods)[] Table =
    [
        (T("accounts/{account}/workers/services/{name}"), new() { ["GET"] = WorkerEndpoints.GetService }),
        (T("accounts/{account}/workers/scripts/{name}"), new() { ["PUT"] = WorkerEndpoints.PutScript }),
        (T("accounts/{account}/workers/scripts/{name}/assets-upload-session"), new() { ["POST"] = AssetEndpoints.StartSession }),
        (T("accounts/{account}/workers/assets/upload"), new() { ["POST"] = AssetEndpoints.Upload }),
        (T("accounts/{account}/workers/scripts/{name}/settings"), new() { ["GET"] = WorkerEndpoints.GetSettings }),
        (T("accounts/{account}/workers/scripts/{name}/script-settings"), new() { ["GET"] = WorkerEndpoints.GetSettings, ["PATCH"] = WorkerEndpoints.PatchSettings }),
        (T("accounts/{account}/workers/scripts/{name}/versions"), new() { ["GET"] = WorkerEndpoints.ListVersions, ["POST"] = WorkerEndpoints.UploadVersion }),
        (T("accounts/{account}/workers/scripts/{name}/versions/{version}"), new() { ["GET"] = WorkerEndpoints.GetVersion }),
        (T("accounts/{account}/workers/scripts/{name}/deployments"), new() { ["GET"] = WorkerEndpoints.ListDeployments, ["POST"] = WorkerEndpoints.CreateDeployment }),
        (T("accounts/{account}/workers/scripts/{name}/secrets"), new() { ["GET"] = SecretEndpoints.List, ["PUT"] = SecretEndpoints.Put }),
        (T("accounts/{account}/workers/scripts/{name}/secrets/{secret}"), new() { ["GET"] = SecretEndpoints.Get, ["DELETE"] = SecretEndpoints.Delete }),
        (T("accounts/{account}/workers/workers/{name}/versions/latest"), new() { ["PATCH"] = SecretEndpoints.PatchLatestVersion }),
        (T("accounts/{account}/workers/subdomain"), new() { ["GET"] = SubdomainEndpoints.GetAccountSubdomain }),
        (T("accounts/{account}/workers/scripts/{name}/subdomain"), new() { ["GET"] = SubdomainEndpoints.GetScriptSubdomain, ["POST"] = SubdomainEndpoints.PostScriptSubdomain }),
        (T("accounts/{account}/workers/workers/{name}"), new() { ["GET"] = SubdomainEndpoints.GetWorker }),
    ];

    /// <summary>Every route, as "METHOD /client/v4/template", for docs and tests.</summary>
    public static IEnumerable<string> All =>
        Table.SelectMany(r => r.Methods.Keys.Select(m => $"{m} {PlatformApi.BasePath}/{string.Join('/', r.Template)}"));

    /// <summary>The route these path segments match, with the values of its {placeholders}; null when none does.</summary>
    public static (IReadOnlyDictionary<string, Func<ApiCall, Task>> Methods, IReadOnlyDictionary<string, string> Values)? Match(string[] segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        foreach (var (template, methods) in Table)
        {
            if (template.Length != segments.Length)
            {
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var matched = true;
            for (var i = 0; i < template.Length && matched; i++)
            {
                if (template[i].StartsWith('{'))
                {
                    matched = segments[i].Length > 0;
                    values[template[i][1..^1]] = segments[i];
                }
                else
                {
                    matched = template[i] == segments[i];
                }
            }

            if (matched)
            {
                return (methods, values);
            }
        }

        return null;
    }

    private static string[] T(string template) => template.Split('/');
}
