using System.Net;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Simulator.Gateway;

namespace Simulator.Grains.Tests;

/// <summary>The HTTP gateway on a free loopback port over a test cluster, and real client WebSockets through it.</summary>
internal sealed class SocketGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SocketGateway(WebApplication app, Uri http) => (_app, Http) = (app, http);

    public Uri Http { get; }

    public static async Task<SocketGateway> StartAsync(IGrainFactory grains)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(grains);
        var app = builder.Build();
        app.UseWorkerGateway();
        await app.StartAsync();
        return new SocketGateway(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    public static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    /// <summary>A client socket to the Worker's path; a refused upgrade fails with the gateway's answer.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string worker, string path)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", $"{worker}.localhost");
        socket.Options.CollectHttpResponseDetails = true;
        var url = new Uri(Http, path);
        try
        {
            await socket.ConnectAsync(new Uri(url.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), Timeout());
        }
        catch (WebSocketException ex) when (socket.HttpStatusCode != 0)
        {
            // The gateway's answer says why: a test that fails here shows it.
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Host = $"{worker}.localhost";
            request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
            using var answer = await http.SendAsync(request);
            throw new InvalidOperationException($"{ex.Message} {(int)answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}", ex);
        }

        return socket;
    }

    public static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, Timeout());

    /// <summary>The next message (text, or bytes as hex), or "closed CODE REASON".</summary>
    public static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, Timeout());
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return $"closed {(int?)result.CloseStatus} {result.CloseStatusDescription}";
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return result.MessageType == WebSocketMessageType.Text ? Encoding.UTF8.GetString(message.ToArray()) : "bytes " + Convert.ToHexString(message.ToArray());
    }
}
