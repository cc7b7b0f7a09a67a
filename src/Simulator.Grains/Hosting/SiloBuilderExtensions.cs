using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Simulator.Grains.Placement;

namespace Simulator.Grains.Hosting;

public static class SiloBuilderExtensions
{
    /// <summary>
    /// Adds the Durable Objects gradual-deployment simulator to a silo: the grains' services, the
    /// per-silo deployment agent's placement, the scripts, and (by default) in-memory storage.
    /// </summary>
    public static ISiloBuilder AddDurableObjectsSimulator(this ISiloBuilder builder, Action<DurableObjectsSimulatorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new DurableObjectsSimulatorOptions();
        configure?.Invoke(options);
        if (options.DeployableWindow < 1)
        {
            throw new ArgumentException($"DeployableWindow must be at least 1 (got {options.DeployableWindow}).", nameof(configure));
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(options.BuildCatalog());
        builder.Services.AddSingleton<DeploymentCache>();
        builder.Services.AddSingleton<ActiveObjects>();
        builder.Services.AddSingleton(new VersionRandom(options.RandomSeed));
        builder.AddPlacementDirector<SiloTargetedPlacement, SiloTargetedPlacementDirector>();
        if (options.UseMemoryStorage)
        {
            builder.AddMemoryGrainStorage(DurableObjectsSimulatorOptions.StorageName);

            // Core's immutable records do not survive the default JSON; the Orleans serializer keeps them exact.
            builder.Services.AddOptions<MemoryGrainStorageOptions>(DurableObjectsSimulatorOptions.StorageName)
                .Configure<Serializer>((storage, serializer) => storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        }

        return builder;
    }
}
