using System.Collections.Immutable;
using Simulator.Core;

namespace Simulator.Contracts;

// Core stays free of Orleans: its records cross the wire through these surrogates.

[GenerateSerializer]
public struct VersionShareSurrogate
{
    [Id(0)] public Guid VersionId;
    [Id(1)] public decimal Percentage;
}

[RegisterConverter]
public sealed class VersionShareConverter : IConverter<VersionShare, VersionShareSurrogate>
{
    public VersionShare ConvertFromSurrogate(in VersionShareSurrogate surrogate) => new(surrogate.VersionId, surrogate.Percentage);

    public VersionShareSurrogate ConvertToSurrogate(in VersionShare value) => new() { VersionId = value.VersionId, Percentage = value.Percentage };
}

[GenerateSerializer]
public struct VersionDraftSurrogate
{
    [Id(0)] public string Script;
    [Id(1)] public string? Tag;
    [Id(2)] public string? Message;
    [Id(3)] public ImmutableSortedDictionary<string, string> Vars;
    [Id(4)] public bool HasMtlsBinding;
    [Id(6)] public bool UsesSmartPlacement;
    [Id(7)] public string? MigrationTag;
    [Id(8)] public ImmutableSortedSet<string> DurableObjectClasses;
    [Id(9)] public WorkerCode? Code;
    [Id(10)] public ImmutableSortedDictionary<string, string> Secrets;
    [Id(11)] public string? UploadKey;
    [Id(12)] public ImmutableSortedSet<string> SqliteClasses;
    [Id(13)] public ImmutableDictionary<string, Simulator.Core.Assets.AssetContent> AssetContents;
}

[RegisterConverter]
public sealed class VersionDraftConverter : IConverter<VersionDraft, VersionDraftSurrogate>
{
    public VersionDraft ConvertFromSurrogate(in VersionDraftSurrogate s) => new()
    {
        Script = s.Script,
        Tag = s.Tag,
        Message = s.Message,
        Vars = s.Vars ?? ImmutableSortedDictionary<string, string>.Empty,
        HasMtlsBinding = s.HasMtlsBinding,
        UsesSmartPlacement = s.UsesSmartPlacement,
        MigrationTag = s.MigrationTag,
        DurableObjectClasses = s.DurableObjectClasses ?? ImmutableSortedSet<string>.Empty,
        SqliteClasses = s.SqliteClasses ?? ImmutableSortedSet<string>.Empty,
        Code = s.Code,
        Secrets = s.Secrets ?? ImmutableSortedDictionary<string, string>.Empty,
        UploadKey = s.UploadKey,
        AssetContents = s.AssetContents ?? ImmutableDictionary<string, Simulator.Core.Assets.AssetContent>.Empty,
    };

    public VersionDraftSurrogate ConvertToSurrogate(in VersionDraft value) => new()
    {
        Script = value.Script,
        Code = value.Code,
        Tag = value.Tag,
        Message = value.Message,
        Vars = value.Vars,
        HasMtlsBinding = value.HasMtlsBinding,
        UsesSmartPlacement = value.UsesSmartPlacement,
        MigrationTag = value.MigrationTag,
        DurableObjectClasses = value.DurableObjectClasses,
        SqliteClasses = value.SqliteClasses,
        Secrets = value.Secrets,
        UploadKey = value.UploadKey,
        AssetContents = value.AssetContents,
    };
}

[GenerateSerializer]
public struct WorkerVersionSurrogate
{
    [Id(0)] public Guid Id;
    [Id(1)] public int Number;
    [Id(2)] public DateTimeOffset CreatedOn;
    [Id(3)] public string Script;
    [Id(4)] public string? Tag;
    [Id(5)] public string? Message;
    [Id(6)] public int Source;
    [Id(7)] public ImmutableSortedDictionary<string, string> Vars;
    [Id(8)] public ImmutableSortedDictionary<string, string> Secrets;
    [Id(9)] public bool HasMtlsBinding;
    [Id(11)] public bool UsesSmartPlacement;
    [Id(12)] public string? MigrationTag;
    [Id(13)] public ImmutableSortedSet<string> DurableObjectClasses;
    [Id(14)] public WorkerCode? Code;
    [Id(15)] public string? UploadKey;
}

[RegisterConverter]
public sealed class WorkerVersionConverter : IConverter<WorkerVersion, WorkerVersionSurrogate>
{
    public WorkerVersion ConvertFromSurrogate(in WorkerVersionSurrogate s) => new()
    {
        Id = s.Id,
        Number = s.Number,
        CreatedOn = s.CreatedOn,
        Script = s.Script,
        Tag = s.Tag,
        Message = s.Message,
        Source = (VersionSource)s.Source,
        Vars = s.Vars ?? ImmutableSortedDictionary<string, string>.Empty,
        Secrets = s.Secrets ?? ImmutableSortedDictionary<string, string>.Empty,
        HasMtlsBinding = s.HasMtlsBinding,
        UsesSmartPlacement = s.UsesSmartPlacement,
        MigrationTag = s.MigrationTag,
        DurableObjectClasses = s.DurableObjectClasses ?? ImmutableSortedSet<string>.Empty,
        Code = s.Code,
        UploadKey = s.UploadKey,
    };

    public WorkerVersionSurrogate ConvertToSurrogate(in WorkerVersion value) => new()
    {
        Id = value.Id,
        Code = value.Code,
        Number = value.Number,
        CreatedOn = value.CreatedOn,
        Script = value.Script,
        Tag = value.Tag,
        Message = value.Message,
        Source = (int)value.Source,
        Vars = value.Vars,
        Secrets = value.Secrets,
        HasMtlsBinding = value.HasMtlsBinding,
        UsesSmartPlacement = value.UsesSmartPlacement,
        MigrationTag = value.MigrationTag,
        DurableObjectClasses = value.DurableObjectClasses,
        UploadKey = value.UploadKey,
    };
}

[GenerateSerializer]
public struct WorkerModuleSurrogate
{
    [Id(0)] public string Name;
    [Id(1)] public string Content;
}

[RegisterConverter]
public sealed class WorkerModuleConverter : IConverter<WorkerModule, WorkerModuleSurrogate>
{
    public WorkerModule ConvertFromSurrogate(in WorkerModuleSurrogate s) => new(s.Name, s.Content);

    public WorkerModuleSurrogate ConvertToSurrogate(in WorkerModule value) => new() { Name = value.Name, Content = value.Content };
}

[GenerateSerializer]
public struct WorkerCodeSurrogate
{
    [Id(0)] public ImmutableArray<WorkerModule> Modules;
    [Id(1)] public ImmutableSortedDictionary<string, string> DurableObjectBindings;
    [Id(2)] public ImmutableSortedDictionary<string, string> ServiceBindings;
    [Id(3)] public string? VersionMetadataBinding;
    [Id(4)] public ImmutableSortedSet<string> JsonVars;
    [Id(5)] public string? CompatibilityDate;
    [Id(6)] public ImmutableArray<string> CompatibilityFlags;
    [Id(7)] public ImmutableSortedDictionary<string, string> ServiceEntrypoints;
    [Id(8)] public Simulator.Core.Assets.AssetSet? Assets;
}

[RegisterConverter]
public sealed class WorkerCodeConverter : IConverter<WorkerCode, WorkerCodeSurrogate>
{
    public WorkerCode ConvertFromSurrogate(in WorkerCodeSurrogate s) => new()
    {
        Modules = s.Modules,
        DurableObjectBindings = s.DurableObjectBindings ?? ImmutableSortedDictionary<string, string>.Empty,
        ServiceBindings = s.ServiceBindings ?? ImmutableSortedDictionary<string, string>.Empty,
        ServiceEntrypoints = s.ServiceEntrypoints ?? ImmutableSortedDictionary<string, string>.Empty,
        Assets = s.Assets,
        VersionMetadataBinding = s.VersionMetadataBinding,
        JsonVars = s.JsonVars ?? ImmutableSortedSet<string>.Empty,
        CompatibilityDate = s.CompatibilityDate,
        CompatibilityFlags = s.CompatibilityFlags.IsDefault ? [] : s.CompatibilityFlags,
    };

    public WorkerCodeSurrogate ConvertToSurrogate(in WorkerCode value) => new()
    {
        Modules = value.Modules,
        DurableObjectBindings = value.DurableObjectBindings,
        ServiceBindings = value.ServiceBindings,
        ServiceEntrypoints = value.ServiceEntrypoints,
        Assets = value.Assets,
        VersionMetadataBinding = value.VersionMetadataBinding,
        JsonVars = value.JsonVars,
        CompatibilityDate = value.CompatibilityDate,
        CompatibilityFlags = value.CompatibilityFlags,
    };
}

[GenerateSerializer]
public struct AssetContentSurrogate
{
    [Id(0)] public byte[] Bytes;
    [Id(1)] public string? ContentType;
}

[RegisterConverter]
public sealed class AssetContentConverter : IConverter<Simulator.Core.Assets.AssetContent, AssetContentSurrogate>
{
    public Simulator.Core.Assets.AssetContent ConvertFromSurrogate(in AssetContentSurrogate s) => new(s.Bytes ?? [], s.ContentType);

    public AssetContentSurrogate ConvertToSurrogate(in Simulator.Core.Assets.AssetContent value) => new() { Bytes = value.Bytes, ContentType = value.ContentType };
}

[GenerateSerializer]
public struct AssetFileSurrogate
{
    [Id(0)] public string Hash;
    [Id(1)] public string? ContentType;
}

[RegisterConverter]
public sealed class AssetFileConverter : IConverter<Simulator.Core.Assets.AssetFile, AssetFileSurrogate>
{
    public Simulator.Core.Assets.AssetFile ConvertFromSurrogate(in AssetFileSurrogate s) => new(s.Hash, s.ContentType);

    public AssetFileSurrogate ConvertToSurrogate(in Simulator.Core.Assets.AssetFile value) => new() { Hash = value.Hash, ContentType = value.ContentType };
}

[GenerateSerializer]
public struct AssetSetSurrogate
{
    [Id(0)] public ImmutableSortedDictionary<string, Simulator.Core.Assets.AssetFile> Files;
    [Id(1)] public string? Binding;
    [Id(2)] public int HtmlHandling;
    [Id(3)] public int NotFoundHandling;
    [Id(4)] public bool RunWorkerFirst;
    [Id(5)] public ImmutableArray<string> RunWorkerFirstRoutes;
}

[RegisterConverter]
public sealed class AssetSetConverter : IConverter<Simulator.Core.Assets.AssetSet, AssetSetSurrogate>
{
    public Simulator.Core.Assets.AssetSet ConvertFromSurrogate(in AssetSetSurrogate s) => new()
    {
        Files = s.Files ?? ImmutableSortedDictionary<string, Simulator.Core.Assets.AssetFile>.Empty,
        Binding = s.Binding,
        HtmlHandling = (Simulator.Core.Assets.HtmlHandling)s.HtmlHandling,
        NotFoundHandling = (Simulator.Core.Assets.NotFoundHandling)s.NotFoundHandling,
        RunWorkerFirst = s.RunWorkerFirst,
        RunWorkerFirstRoutes = s.RunWorkerFirstRoutes.IsDefault ? [] : s.RunWorkerFirstRoutes,
    };

    public AssetSetSurrogate ConvertToSurrogate(in Simulator.Core.Assets.AssetSet value) => new()
    {
        Files = value.Files,
        Binding = value.Binding,
        HtmlHandling = (int)value.HtmlHandling,
        NotFoundHandling = (int)value.NotFoundHandling,
        RunWorkerFirst = value.RunWorkerFirst,
        RunWorkerFirstRoutes = value.RunWorkerFirstRoutes,
    };
}

[GenerateSerializer]
public struct DeploymentSurrogate
{
    [Id(0)] public Guid Id;
    [Id(1)] public DateTimeOffset CreatedOn;
    [Id(2)] public string? Message;
    [Id(3)] public int Source;
    [Id(4)] public ImmutableArray<VersionShare> Versions;
    [Id(5)] public string? CodeUpdateMode;
    [Id(6)] public int? CodeUpdateMaxDelaySeconds;

    // Seconds with millisecond precision; Id(6) is what deployments stored before it.
    [Id(7)] public double? CodeUpdateMaxDelay;
}

[RegisterConverter]
public sealed class DeploymentConverter : IConverter<Deployment, DeploymentSurrogate>
{
    public Deployment ConvertFromSurrogate(in DeploymentSurrogate s) => new()
    {
        Id = s.Id,
        CreatedOn = s.CreatedOn,
        Message = s.Message,
        Source = (DeploymentSource)s.Source,
        Versions = s.Versions,
        CodeUpdateStrategy = s.CodeUpdateMode is { } mode ? new CodeUpdateStrategy(mode, s.CodeUpdateMaxDelay ?? s.CodeUpdateMaxDelaySeconds) : null,
    };

    public DeploymentSurrogate ConvertToSurrogate(in Deployment value) => new()
    {
        Id = value.Id,
        CreatedOn = value.CreatedOn,
        Message = value.Message,
        Source = (int)value.Source,
        Versions = value.Versions,
        CodeUpdateMode = value.CodeUpdateStrategy?.Mode,
        CodeUpdateMaxDelay = value.CodeUpdateStrategy?.MaxDelaySeconds,
    };
}

[GenerateSerializer]
public struct WorkerHistorySurrogate
{
    [Id(0)] public string WorkerName;
    [Id(1)] public ImmutableList<WorkerVersion> Versions;
    [Id(2)] public ImmutableList<Deployment> Deployments;
    [Id(4)] public ImmutableList<string> MigrationTags;
    [Id(5)] public ImmutableSortedSet<string> DurableObjectClasses;
    [Id(6)] public ImmutableSortedSet<string> SqliteClasses;
}

[RegisterConverter]
public sealed class WorkerHistoryConverter : IConverter<WorkerHistory, WorkerHistorySurrogate>
{
    public WorkerHistory ConvertFromSurrogate(in WorkerHistorySurrogate s) => new()
    {
        WorkerName = s.WorkerName,
        Versions = s.Versions ?? [],
        Deployments = s.Deployments ?? [],
        MigrationTags = s.MigrationTags ?? [],
        DurableObjectClasses = s.DurableObjectClasses ?? ImmutableSortedSet<string>.Empty,
        SqliteClasses = s.SqliteClasses ?? ImmutableSortedSet<string>.Empty,
    };

    public WorkerHistorySurrogate ConvertToSurrogate(in WorkerHistory value) => new()
    {
        WorkerName = value.WorkerName,
        Versions = value.Versions,
        Deployments = value.Deployments,
        MigrationTags = value.MigrationTags,
        DurableObjectClasses = value.DurableObjectClasses,
        SqliteClasses = value.SqliteClasses,
    };
}

[GenerateSerializer]
public struct ExceptionCountSurrogate
{
    [Id(0)] public string Message;
    [Id(1)] public long Count;
}

[RegisterConverter]
public sealed class ExceptionCountConverter : IConverter<Core.Analytics.ExceptionCount, ExceptionCountSurrogate>
{
    public Core.Analytics.ExceptionCount ConvertFromSurrogate(in ExceptionCountSurrogate s) => new(s.Message, s.Count);

    public ExceptionCountSurrogate ConvertToSurrogate(in Core.Analytics.ExceptionCount value) => new() { Message = value.Message, Count = value.Count };
}

[GenerateSerializer]
public struct VersionReportSurrogate
{
    [Id(0)] public Guid VersionId;
    [Id(1)] public decimal ConfiguredPercent;
    [Id(2)] public long Requests;
    [Id(3)] public double? ActualPercent;
    [Id(4)] public long Errors;
    [Id(5)] public double? ErrorRate;
    [Id(6)] public ImmutableArray<Core.Analytics.ExceptionCount> Exceptions;
    [Id(7)] public double? P50Ms;
    [Id(8)] public double? P95Ms;
    [Id(9)] public double? P99Ms;
}

[RegisterConverter]
public sealed class VersionReportConverter : IConverter<Core.Analytics.VersionReport, VersionReportSurrogate>
{
    public Core.Analytics.VersionReport ConvertFromSurrogate(in VersionReportSurrogate s) =>
        new(s.VersionId, s.ConfiguredPercent, s.Requests, s.ActualPercent, s.Errors, s.ErrorRate, s.Exceptions.IsDefault ? [] : s.Exceptions, s.P50Ms, s.P95Ms, s.P99Ms);

    public VersionReportSurrogate ConvertToSurrogate(in Core.Analytics.VersionReport v) => new()
    {
        VersionId = v.VersionId,
        ConfiguredPercent = v.ConfiguredPercent,
        Requests = v.Requests,
        ActualPercent = v.ActualPercent,
        Errors = v.Errors,
        ErrorRate = v.ErrorRate,
        Exceptions = v.Exceptions,
        P50Ms = v.P50Ms,
        P95Ms = v.P95Ms,
        P99Ms = v.P99Ms,
    };
}

[GenerateSerializer]
public struct DeploymentReportSurrogate
{
    [Id(0)] public Guid DeploymentId;
    [Id(1)] public long Requests;
    [Id(2)] public ImmutableArray<Core.Analytics.VersionReport> Versions;
}

[RegisterConverter]
public sealed class DeploymentReportConverter : IConverter<Core.Analytics.DeploymentReport, DeploymentReportSurrogate>
{
    public Core.Analytics.DeploymentReport ConvertFromSurrogate(in DeploymentReportSurrogate s) => new(s.DeploymentId, s.Requests, s.Versions.IsDefault ? [] : s.Versions);

    public DeploymentReportSurrogate ConvertToSurrogate(in Core.Analytics.DeploymentReport value) => new() { DeploymentId = value.DeploymentId, Requests = value.Requests, Versions = value.Versions };
}

[GenerateSerializer]
public struct CodeUpdateStrategySurrogate
{
    [Id(0)] public string Mode;
    [Id(1)] public double? MaxDelaySeconds;
}

[RegisterConverter]
public sealed class CodeUpdateStrategyConverter : IConverter<CodeUpdateStrategy, CodeUpdateStrategySurrogate>
{
    public CodeUpdateStrategy ConvertFromSurrogate(in CodeUpdateStrategySurrogate s) => new(s.Mode, s.MaxDelaySeconds);

    public CodeUpdateStrategySurrogate ConvertToSurrogate(in CodeUpdateStrategy value) => new() { Mode = value.Mode, MaxDelaySeconds = value.MaxDelaySeconds };
}

[GenerateSerializer]
public struct SkewCellSurrogate
{
    [Id(0)] public string ClassName;
    [Id(1)] public Guid DeploymentId;
    [Id(2)] public Guid CallerVersionId;
    [Id(3)] public Guid ObjectVersionId;
    [Id(4)] public long Requests;
    [Id(5)] public long Errors;
}

[RegisterConverter]
public sealed class SkewCellConverter : IConverter<Core.Analytics.SkewCell, SkewCellSurrogate>
{
    public Core.Analytics.SkewCell ConvertFromSurrogate(in SkewCellSurrogate s) => new(s.ClassName, s.DeploymentId, s.CallerVersionId, s.ObjectVersionId, s.Requests, s.Errors);

    public SkewCellSurrogate ConvertToSurrogate(in Core.Analytics.SkewCell value) => new()
    {
        ClassName = value.ClassName,
        DeploymentId = value.DeploymentId,
        CallerVersionId = value.CallerVersionId,
        ObjectVersionId = value.ObjectVersionId,
        Requests = value.Requests,
        Errors = value.Errors,
    };
}

[GenerateSerializer]
public struct CodeUpdateForecastSurrogate
{
    [Id(0)] public long ResetNow;
    [Id(1)] public long Deferred;
    [Id(2)] public DateTimeOffset? DeferredUntil;
}

[RegisterConverter]
public sealed class CodeUpdateForecastConverter : IConverter<CodeUpdateForecast, CodeUpdateForecastSurrogate>
{
    public CodeUpdateForecast ConvertFromSurrogate(in CodeUpdateForecastSurrogate s) => new(s.ResetNow, s.Deferred, s.DeferredUntil);

    public CodeUpdateForecastSurrogate ConvertToSurrogate(in CodeUpdateForecast value) => new() { ResetNow = value.ResetNow, Deferred = value.Deferred, DeferredUntil = value.DeferredUntil };
}
