using System.Collections.Immutable;
using System.Globalization;
using Simulator.Core;
using Simulator.Grains.Scripts;

namespace Simulator.Grains.Runtime;

internal static class WorkerEnvironment
{
    public static WorkerEnv Create(WorkerVersion version, ScriptDefinition script, IGrainFactory grains, InvocationContext context, string workerName) =>
        new(
            new VersionMetadata(version.Id.ToString(), version.Tag, version.CreatedOn.ToString("O", CultureInfo.InvariantCulture)),
            version.Vars,
            version.Secrets,
            script.DurableObjectBindings.ToImmutableDictionary(b => b.Key, b => new DurableObjectNamespace(grains, context, workerName, b.Value)),
            script.ServiceBindings.ToImmutableDictionary(b => b.Key, b => new ServiceBinding(grains, context, b.Value)));
}
