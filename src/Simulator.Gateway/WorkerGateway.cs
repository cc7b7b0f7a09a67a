using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Simulator.Contracts;
using Simulator.Core;

namespace Simulator.Gateway;

/// <summary>
/// The HTTP front door: a request whose Host is <c>W.localhost</c> or <c>W.workers.dev</c> runs on
/// worker W (the version chosen by override, version key, then at random) and answers with the
/// worker's response plus diagnostic headers. It never changes versions or deployments.
/// </summary>
public static class WorkerGateway
{
    /// <summary>Bodies over 1 MiB are refused with 413 (headers over 32 KiB get 431 from Kestrel).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    public const int MaxHeaderBytes = 32 * 1024;

    private static readonly string[] WorkerDomains = [".localhost", ".workers.dev"];

    /// <summary>Request headers under this prefix are the simulator's own: a client's are dropped.</summary>
    public const string InternalHeaderPrefix = "X-Simulator-";

    public static IApplicationBuilder UseWorkerGateway(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        ClientSockets? sockets = null;
        app.UseWebSockets();
        return app.Use((HttpContext context, RequestDelegate _) => HandleAsync(context, () => sockets ??= new ClientSockets(
            Grains(context), context.RequestServices.GetService(typeof(ISiloMembership)) as ISiloMembership)));
    }

    /// <summary>
    /// The label of a Host that names the Worker, or null when the host is under neither domain:
    /// the first label, as the platform's <c>&lt;worker&gt;.&lt;subdomain&gt;.workers.dev</c> has it
    /// (my-worker.acct.workers.dev → my-worker; my-worker.localhost:8787 → my-worker). The label is
    /// not yet checked against the naming rule; a host with an empty label (a..localhost) names none.
    /// </summary>
    public static string? WorkerLabel(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        host = host.ToLowerInvariant();
        foreach (var domain in WorkerDomains)
        {
            if (host.EndsWith(domain, StringComparison.Ordinal) && host.Length > domain.Length)
            {
                var labels = host[..^domain.Length].Split('.');
                return labels.Any(l => l.Length == 0) ? null : labels[0];
            }
        }

        return null;
    }

    private static async Task HandleAsync(HttpContext context, Func<ClientSockets> sockets)
    {
        var host = context.Request.Host.Host;
        if (WorkerLabel(host) is not { } worker)
        {
            await Plain(context, 404, $"No Worker is addressed by the host '{host}'. Send requests to <worker>.localhost or <worker>.<subdomain>.workers.dev, e.g. curl http://my-worker.localhost:{context.Request.Host.Port ?? 80}/\n");
            return;
        }

        if (WorkerNames.Validate(worker) is { } invalid)
        {
            await Plain(context, 404, $"No Worker is addressed by the host '{host}': {invalid.Message}\n");
            return;
        }

        if (context.Request.ContentLength > MaxBodyBytes)
        {
            await Plain(context, 413, $"The request body is larger than {MaxBodyBytes} bytes.\n");
            return;
        }

        byte[]? body;
        try
        {
            body = await ReadBodyAsync(context.Request);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Plain(context, 413, $"The request body is larger than {MaxBodyBytes} bytes.\n");
            return;
        }

        var request = new WorkerRequest
        {
            Method = context.Request.Method,
            Url = $"https://{host}{context.Request.Path}{context.Request.QueryString}",
            // The simulator's own headers come only from inside: a client cannot spoof them.
            Headers = [.. context.Request.Headers
                .Where(h => !h.Key.StartsWith(InternalHeaderPrefix, StringComparison.OrdinalIgnoreCase))
                .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty)))],
            Body = body,
        };

        InvocationResult result;
        try
        {
            // In a silo the worker runs right here; elsewhere through the cluster.
            result = context.RequestServices.GetService(typeof(IWorkerInvoker)) is IWorkerInvoker invoker
                ? await invoker.InvokeAsync(worker, request)
                : await StringKeyGrains.Get<IWorkerGrain>(Grains(context), worker).Invoke(request);
        }
        catch (WorkerNotDeployedException ex)
        {
            await Plain(context, 404, ex.Message + "\n");
            return;
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            // The cluster could not run the request (a silo died mid-call, say): the caller may retry.
            await Plain(context, 503, $"Error: the cluster could not run the request ({ex.GetBaseException().Message}). Try again.\n");
            return;
        }

        if (context.WebSockets.IsWebSocketRequest || result.Response.WebSocket is not null)
        {
            await UpgradeAsync(context, result, sockets);
            return;
        }

        var response = context.Response;
        response.StatusCode = result.Response.Status;
        foreach (var (name, value) in result.Response.Headers)
        {
            response.Headers.Append(name, value);
        }

        response.Headers[DiagnosticHeaders.VersionId] = result.VersionId.ToString();
        response.Headers[DiagnosticHeaders.VersionReason] = ((SelectionReason)result.Reason).Name();
        if (result.DurableObjectVersionId is { } objectVersion)
        {
            response.Headers[DiagnosticHeaders.DurableObjectVersionId] = objectVersion.ToString();
            response.Headers[DiagnosticHeaders.DurableObjectResets] = result.DurableObjectResets!.Value.ToString(CultureInfo.InvariantCulture);
        }

        await response.Body.WriteAsync(result.Response.Body, context.RequestAborted);
    }

    // A WebSocket handshake: the Worker's 101 with its client end completes it, and the connection
    // stays here, joined to the socket's server end; any other answer goes back as a response.
    private static async Task UpgradeAsync(HttpContext context, InvocationResult result, Func<ClientSockets> sockets)
    {
        var link = result.Response.WebSocket;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Plain(context, 500, "Error: the Worker answered with a webSocket, but the request is not a WebSocket upgrade (it has no `Upgrade: websocket`).\n");
            return;
        }

        if (link is null || result.Response.Status != 101)
        {
            if (result.Response.Status == 101)
            {
                await Plain(context, 500, "Error: the Worker answered 101 without a webSocket: return new Response(null, { status: 101, webSocket: client }).\n");
                return;
            }

            context.Response.StatusCode = result.Response.Status;
            foreach (var (name, value) in result.Response.Headers)
            {
                context.Response.Headers.Append(name, value);
            }

            context.Response.Headers[DiagnosticHeaders.VersionId] = result.VersionId.ToString();
            await context.Response.Body.WriteAsync(result.Response.Body, context.RequestAborted);
            return;
        }

        foreach (var (name, value) in result.Response.Headers)
        {
            context.Response.Headers.Append(name, value);
        }

        context.Response.Headers[DiagnosticHeaders.VersionId] = result.VersionId.ToString();
        context.Response.Headers[DiagnosticHeaders.VersionReason] = ((SelectionReason)result.Reason).Name();
        if (result.DurableObjectVersionId is { } objectVersion)
        {
            context.Response.Headers[DiagnosticHeaders.DurableObjectVersionId] = objectVersion.ToString();
        }

        using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
        await sockets().RunAsync(webSocket, link, context.RequestAborted);
    }

    private static IGrainFactory Grains(HttpContext context) =>
        context.RequestServices.GetService(typeof(IGrainFactory)) as IGrainFactory
            ?? throw new InvalidOperationException("The gateway needs an Orleans IGrainFactory (or an IWorkerInvoker) in its services.");

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return null;
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    private static Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text);
    }
}
