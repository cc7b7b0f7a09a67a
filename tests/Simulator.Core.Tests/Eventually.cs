using System.Diagnostics;

namespace Simulator.Core.Tests;

/// <summary>
/// The one way the test projects wait: poll until a condition holds or a deadline (on a
/// <see cref="Stopwatch"/>) passes, then fail with a message naming what was awaited and the last
/// thing seen. Shared by every test project.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads until <paramref name="done"/> holds for what was read, and returns it.</summary>
    public static async Task<T> Until<T>(string awaited, TimeSpan timeout, Func<Task<T>> read, Func<T, bool> done, TimeSpan? interval = null, Func<string>? detail = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {awaited}; last seen: {value}{(detail is null ? string.Empty : "\n" + detail())}");
            }

            await Task.Delay(interval ?? DefaultInterval);
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds.</summary>
    public static Task Until(string awaited, TimeSpan timeout, Func<bool> done, Func<string>? detail = null) =>
        Until(awaited, timeout, () => Task.FromResult(done()), holds => holds, detail: detail);
}
