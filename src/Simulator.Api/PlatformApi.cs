using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Simulator.Contracts;
using Simulator.Core;
using Simulator.Gateway;

namespace Simulator.Api;

/// <summary>
/// The platform's REST API subset that wrangler and rollout tools call, under <c>/client/v4</c>, on
/// the same port as Worker traffic: a request whose Host names no Worker (127.0.0.1:8787, not
/// my-worker.localhost:8787) and whose path starts with <c>/client/v4/</c> is an API call. Every
/// answer is the platform's envelope. Reads go through the cluster's query API, changes through
/// the Worker's deployment grain: the API holds no rule of its own.
/// </summary>
public static class PlatformApi
{
    public const string BasePath = "/client/v4";

    public static IServiceCollection AddPlatformApi(this IServiceCollection services, Action<PlatformApiOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PlatformApiOptions();
        configure(options);
        return services.AddSingleton(options).AddSingleton<ApiRequestLog>();
    }

    /// <summary>Serves API calls; every other request goes on (to the Worker gateway).</summary>
    public static IApplicationBuilder UsePlatformApi(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapWhen(IsApiCall, api => api.Run(HandleAsync));
    }

    public static bool IsApiCall(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path.Value ?? string.Empty;
        return WorkerGateway.WorkerLabel(context.Request.Host.Host) is null
            && (path == BasePath || path.StartsWith(BasePath + "/", StringComparison.Ordinal));
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<PlatformApiOptions>();
        var log = context.RequestServices.GetRequiredService<ApiRequestLog>();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await RouteAsync(context, options);
        }
        catch (ApiException ex)
        {
            await ApiJson.Failure(context, ex.Status, ex.Code, ex.Message);
        }
        catch (RuleRefusedException ex)
        {
            var (status, code) = ex.Code switch
            {
                RuleError.WorkerNotDeployed => (404, ApiErrors.WorkerNotFound),
                RuleError.UnknownVersion => (404, RuleError.UnknownVersion),
                _ => (400, ex.Code),
            };
            await ApiJson.Failure(context, status, code, ex.Reason);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ApiJson.Failure(context, 413, ApiErrors.BodyTooLarge, TooLarge(options));
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            await ApiJson.Failure(context, ex.StatusCode, ApiErrors.InvalidRequest, $"The request could not be read ({ex.Message}).");
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            await ApiJson.Failure(context, 503, ApiErrors.ClusterUnavailable, $"The cluster could not answer ({ex.GetBaseException().Message}). Try again.");
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // Still the envelope: wrangler reads any other body as "a malformed response from the API".
            await ApiJson.Failure(context, 500, ApiErrors.Internal, $"dosim failed to answer this call ({ex.GetType().Name}: {ex.Message}). This is a bug in dosim; the call's change, if any, was not made.");
        }
        finally
        {
            log.Write(new ApiRequestRecord(
                DateTimeOffset.UtcNow,
                context.Request.Method,
                context.Request.Path.Value ?? string.Empty,
                context.Request.QueryString.HasValue ? context.Request.QueryString.Value : null,
                context.Response.StatusCode,
                context.Items.TryGetValue(ApiJson.ErrorCodeItem, out var code) ? (int?)code : null,
                Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1)));
        }
    }

    private static async Task RouteAsync(HttpContext context, PlatformApiOptions options)
    {
        Authenticate(context, options);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxBodyBytes;
        }

        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            throw new ApiException(413, ApiErrors.BodyTooLarge, TooLarge(options));
        }

        var path = (context.Request.Path.Value ?? string.Empty)[BasePath.Length..].Trim('/');
        var segments = path.Split('/').Select(Uri.UnescapeDataString).ToArray();
        var match = ApiRoutes.Match(segments);
        if (match is null)
        {
            throw new ApiException(404, ApiErrors.UnknownRoute, $"No route for {context.Request.Method} {context.Request.Path}: dosim serves the Workers versions, deployments, secrets and settings routes that wrangler uses (see docs/api.md).");
        }

        var (routes, values) = match.Value;
        if (!routes.TryGetValue(context.Request.Method, out var handler))
        {
            context.Response.Headers.Allow = string.Join(", ", routes.Keys);
            throw new ApiException(405, ApiErrors.MethodNotAllowed, $"{context.Request.Method} is not allowed on {context.Request.Path}: use {string.Join(" or ", routes.Keys)}.");
        }

        var call = new ApiCall(context, context.RequestServices.GetRequiredService<IGrainFactory>(), values, options);
        await handler(call);
    }

    // No token configured: any token from a loopback client, as on a developer's machine. A token
    // configured: it, from anywhere.
    private static void Authenticate(HttpContext context, PlatformApiOptions options)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;

        // An assets upload carries its session's upload token instead, as on the platform: the
        // session was started by an authenticated call, and its id is the credential.
        if (token is not null && (context.Request.Path.Value ?? string.Empty).EndsWith("/workers/assets/upload", StringComparison.Ordinal)
            && AssetTokens.Session(token, AssetTokens.Upload) is not null)
        {
            return;
        }

        if (options.Token is { } expected)
        {
            if (token is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected)))
            {
                throw new ApiException(401, ApiErrors.Authentication, "Authentication error: send the silo's API token as 'Authorization: Bearer <token>' (wrangler: CLOUDFLARE_API_TOKEN=<token>).");
            }
        }
        else if (context.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            throw new ApiException(401, ApiErrors.Authentication, $"Authentication error: without --api-token the API answers only loopback clients (this one is {remote}). Start the silo with --api-token <token> (or DOSIM_API_TOKEN) and send it as a bearer token.");
        }
    }

    private static string TooLarge(PlatformApiOptions options) =>
        $"The request body is larger than the API's limit of {options.MaxBodyBytes} bytes: make the Worker smaller, or start the silo with a larger --api-max-body.";
}
