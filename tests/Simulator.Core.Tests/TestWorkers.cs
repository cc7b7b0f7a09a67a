using System.Collections.Immutable;

namespace Simulator.Core.Tests;

internal static class TestWorkers
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static VersionDraft Draft(string tag = "v", string script = "hello") => new() { Script = script, Tag = tag };

    /// <summary>A version of a Durable Object Worker: the Counter class, with migrations up to <paramref name="migrationTag"/>.</summary>
    public static VersionDraft CounterDraft(string tag, string? migrationTag = "v1") =>
        new() { Script = "counter", Tag = tag, DurableObjectClasses = ["Counter"], MigrationTag = migrationTag };

    /// <summary>A worker deployed once (version 1 at 100%) with <paramref name="uploads"/> more versions uploaded.</summary>
    public static WorkerHistory Deployed(int uploads = 1)
    {
        var history = WorkerHistory.Create("my-worker").Deploy(Draft("v1"), "first", Now);
        for (var i = 0; i < uploads; i++)
        {
            history = history.UploadVersion(Draft($"v{i + 2}"), Now);
        }

        return history;
    }

    public static Guid V(this WorkerHistory history, int number) => history.Versions[number - 1].Id;

    public static Deployment Split(params (Guid Id, decimal Percentage)[] shares) => new()
    {
        Id = Guid.NewGuid(),
        CreatedOn = Now,
        Source = DeploymentSource.VersionsDeploy,
        Versions = [.. shares.Select(s => new VersionShare(s.Id, s.Percentage))],
    };

    public static ImmutableArray<VersionShare> Shares(params (Guid Id, decimal Percentage)[] shares) =>
        [.. shares.Select(s => new VersionShare(s.Id, s.Percentage))];
}
