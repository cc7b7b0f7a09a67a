using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Simulator.Gateway;

namespace Simulator.Grains.Tests;

/// <summary>The HTTP gateway on a free loopback port over the test cluster, with the test scripts: real HTTP in and out.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GatewayHttpTests(ClusterFixture fixture) : IAsyncLifetime
{
    private static readonly HttpClient Http = new();
    private WebApplication? _app;
    private string _base = string.Empty;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<IGrainFactory>(fixture.Cluster.Client);
        _app = builder.Build();
        _app.UseWorkerGateway();
        await _app.StartAsync();
        _base = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string host, string path, HttpContent? content = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, _base + path) { Content = content };
        request.Headers.TryAddWithoutValidation("Host", host);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Http.SendAsync(request);
    }

    [Fact]
    public async Task A_body_with_every_byte_value_comes_back_unchanged_from_the_worker_an_object_and_a_service_binding()
    {
        await fixture.Cluster.Worker(BytesWorker.BackWorker).DeployAsync("bytes");
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("bytes");
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(Enumerable.Range(0, 256).Select(i => (byte)(255 - i))).ToArray();
        foreach (var path in new[] { "/worker", "/object", "/service" })
        {
            using var response = await SendAsync(HttpMethod.Post, $"{worker.Name}.localhost", path, new ByteArrayContent(bytes));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task A_client_cannot_send_the_simulators_own_headers()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        await worker.DeployAsync("counter");
        using var response = await SendAsync(HttpMethod.Get, $"{worker.Name}.localhost", "/foo", null, ("X-Simulator-Durable-Object-Name", "evil"), ("X-Simulator-Durable-Object-Name", "spoof1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("foo", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_worker_is_the_first_label_of_the_host_as_on_the_platform()
    {
        var worker = fixture.Cluster.Worker(ClusterFixture.NewWorkerName());
        var version = await worker.DeployAsync("hello");
        foreach (var host in new[] { $"{worker.Name}.localhost", $"{worker.Name}.workers.dev", $"{worker.Name}.acct.workers.dev", $"{worker.Name}.my-team.localhost" })
        {
            using var response = await SendAsync(HttpMethod.Get, host, "/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version.Id.ToString(), response.Headers.GetValues("X-Simulator-Version-Id").Single());
        }
    }

    // Kestrel itself refuses hosts with an empty label (a..localhost) with a 400; should one get
    // through, it names no Worker rather than an empty grain key.
    [Theory]
    [InlineData("a..localhost", null)]
    [InlineData(".localhost", null)]
    [InlineData("x.a..workers.dev", null)]
    [InlineData("example.com", null)]
    [InlineData("my-worker.acct.workers.dev", "my-worker")]
    [InlineData("My-Worker.localhost", "my-worker")]
    public void The_worker_label_of_a_host(string host, string? label) => Assert.Equal(label, WorkerGateway.WorkerLabel(host));

    [Theory]
    [InlineData("example.com", "Send requests to <worker>.localhost")]
    [InlineData("bad_name.localhost", "lowercase letters, digits and dashes")]
    [InlineData("-dash.workers.dev", "lowercase letters, digits and dashes")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.localhost", "1 to 63")]
    public async Task A_host_that_names_no_valid_worker_gets_a_404_that_says_why(string host, string reason)
    {
        using var response = await SendAsync(HttpMethod.Get, host, "/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
