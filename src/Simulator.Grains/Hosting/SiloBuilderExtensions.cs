using Microsoft.Extensions.DependencyInjection;
using Simulator.Contracts;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Simulator.Grains.Storage;
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

        if (options.ResyncInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"ResyncInterval must be positive (got {options.ResyncInterval}).", nameof(configure));
        }

        if (options.TraceEventBufferSize < 1)
        {
            throw new ArgumentException($"TraceEventBufferSize must be at least 1 (got {options.TraceEventBufferSize}).", nameof(configure));
        }

        if (options.JavaScriptLimits.Validate() is { } limits)
        {
            throw new ArgumentException(limits, nameof(configure));
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new Time.SimulatedClock(options.VirtualClockStart is { } start ? new Time.VirtualTimeProvider(start) : null));
        builder.Services.AddSingleton<Runtime.JavaScript.JavaScriptScripts>();
        builder.Services.AddSingleton(sp =>
        {
            var catalog = options.BuildCatalog();
            catalog.JavaScript = sp.GetRequiredService<Runtime.JavaScript.JavaScriptScripts>();
            return catalog;
        });
        builder.Services.AddSingleton<DeploymentCache>();
        builder.Services.AddSingleton<ActiveObjects>();
        builder.Services.AddSingleton<Time.IdleObjects>();
        builder.Services.AddSingleton(new VersionRandom(options.RandomSeed));
        builder.Services.AddSingleton<IWorkerInvoker, WorkerInvoker>();
        builder.Services.AddSingleton<Telemetry.TelemetryRecorder>();
        builder.Services.AddSingleton<ObjectIndexWriter>();
        builder.Services.AddSingleton<DurableObjectServices>();
        builder.Services.AddSingleton<DeploymentResync>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DeploymentResync>());
        builder.Services.AddSingleton<SiloMembership>();
        builder.Services.AddSingleton<Simulator.Contracts.ISiloMembership>(sp => sp.GetRequiredService<SiloMembership>());
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SiloMembership>());
        builder.AddPlacementDirector<SiloTargetedPlacement, SiloTargetedPlacementDirector>();
        builder.AddIncomingGrainCallFilter<SecretsStayInTheCluster>();

        // One trace from the gateway through the worker to the object, whichever silos they run on.
        builder.AddActivityPropagation();
        if (options.StoragePath is { } path)
        {
            builder.Services.AddGrainStorage(DurableObjectsSimulatorOptions.StorageName, (sp, _) => new FileGrainStorage(path, sp.GetRequiredService<Serializer>()));
        }
        else if (options.SharedStore is { } store)
        {
            builder.Services.AddGrainStorage(DurableObjectsSimulatorOptions.StorageName, (sp, _) => new SharedMemoryGrainStorage(store, sp.GetRequiredService<Serializer>()));
        }
        else if (options.UseMemoryStorage)
        {
            builder.AddMemoryGrainStorage(DurableObjectsSimulatorOptions.StorageName);

            // Core's immutable records do not survive the default JSON; the Orleans serializer keeps them exact.
            builder.Services.AddOptions<MemoryGrainStorageOptions>(DurableObjectsSimulatorOptions.StorageName)
                .Configure<Serializer>((storage, serializer) =>
                {
                    storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);

                    // Each partition is a grain that writes one state at a time: the default 10 made a
                    // deploy that resets 50,000 objects wait on its storage.
                    storage.NumStorageGrains = options.MemoryStoragePartitions;
                });
        }

        return builder;
    }
}
