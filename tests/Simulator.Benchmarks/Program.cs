using BenchmarkDotNet.Running;
using Simulator.Benchmarks.Harness;

namespace Simulator.Benchmarks;

public static class Program
{
    /// <summary>`harness [--objects N] [--calls N] [--rounds N] [--concurrency N] [--gateway-only | --scale | --telemetry | --preview | --websockets | --deferred | --replay [--eviction-ab]]` runs the load harness; anything else goes to BenchmarkDotNet.</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 1 && args[0] == "harness" && args[1] == "--socket-client")
        {
            return await SocketLoadClient.RunAsync(args[2..]);
        }

        if (args.Length > 0 && args[0] == "harness")
        {
            try
            {
                return await LoadHarness.RunAsync(args[1..]);
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
