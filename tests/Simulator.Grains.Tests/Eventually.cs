using System.Diagnostics;

namespace Simulator.Grains.Tests;

/// <summary>Polls a condition until a deadline; a timeout names what was awaited and what was last seen.</summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(string awaited, TimeSpan timeout, Func<Task<T>> read, Func<T, bool> done)
    {
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
                Assert.Fail($"Timed out after {timeout.TotalSeconds} s waiting for {awaited}; last seen: {value}");
            }

            await Task.Delay(50);
        }
    }
}
