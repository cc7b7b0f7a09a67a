using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Simulator.Api;

/// <summary>The platform's envelope, <c>{success, errors[{code, message}], messages, result}</c>, and JSON settings.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Log = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a successful answer; <paramref name="messages"/> say what dosim did differently, if anything.</summary>
    public static Task Success(HttpContext context, JsonNode? result, IEnumerable<string>? messages = null, int status = 200)
    {
        ArgumentNullException.ThrowIfNull(context);
        var envelope = new JsonObject
        {
            ["success"] = true,
            ["errors"] = new JsonArray(),
            ["messages"] = Messages(messages),
            ["result"] = result,
        };
        return Write(context, status, envelope);
    }

    public static Task Failure(HttpContext context, int status, int code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[ErrorCodeItem] = code;
        var envelope = new JsonObject
        {
            ["success"] = false,
            ["errors"] = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message }),
            ["messages"] = new JsonArray(),
            ["result"] = null,
        };
        return Write(context, status, envelope);
    }

    /// <summary>Where <see cref="Failure"/> leaves its code for the request log.</summary>
    public const string ErrorCodeItem = "dosim.api.error-code";

    private static JsonArray Messages(IEnumerable<string>? messages) =>
        new([.. (messages ?? []).Select(m => (JsonNode?)new JsonObject { ["message"] = m })]);

    private static Task Write(HttpContext context, int status, JsonObject envelope)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(envelope.ToJsonString(Compact));
    }
}
