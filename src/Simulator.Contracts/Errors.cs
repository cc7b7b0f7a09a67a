using Simulator.Core;

namespace Simulator.Contracts;

/// <summary>A change to a Worker refused by a rule; nothing was changed. Carries Core's stable code.</summary>
[GenerateSerializer, Alias("dosim.RuleRefusedException")]
public sealed class RuleRefusedException : Exception
{
    public RuleRefusedException()
    {
    }

    public RuleRefusedException(string message)
        : base(message)
    {
    }

    public RuleRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RuleRefusedException(RuleError error)
        : base(error?.ToString())
    {
        ArgumentNullException.ThrowIfNull(error);
        Code = error.Code;
        Reason = error.Message;
    }

    [Id(0)] public int Code { get; init; }

    /// <summary>The message without the code, as Core wrote it.</summary>
    [Id(1)] public string Reason { get; init; } = string.Empty;
}

/// <summary>
/// The platform's error for a call that was running on a Durable Object's old code when its
/// assigned version changed.
/// </summary>
[GenerateSerializer, Alias("dosim.DurableObjectResetException")]
public sealed class DurableObjectResetException : Exception
{
    /// <summary>The platform's exact message.</summary>
    public const string PlatformMessage = "Durable Object reset because its code was updated.";

    public DurableObjectResetException()
        : base(PlatformMessage)
    {
    }

    public DurableObjectResetException(string message)
        : base(message)
    {
    }

    public DurableObjectResetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A request for a Worker that does not exist. (A Worker that exists always has a deployment:
/// its first version comes from a plain deploy.)
/// </summary>
[GenerateSerializer, Alias("dosim.WorkerNotDeployedException")]
public sealed class WorkerNotDeployedException : Exception
{
    public WorkerNotDeployedException()
    {
    }

    public WorkerNotDeployedException(string message)
        : base(message)
    {
    }

    public WorkerNotDeployedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The platform's error for a call through a stub that was connected to an object before the
/// object reset: the stub is broken; a new stub reaches the new code.
/// </summary>
[GenerateSerializer, Alias("dosim.DurableObjectStubBrokenException")]
public sealed class DurableObjectStubBrokenException : Exception
{
    /// <summary>The platform's exact message.</summary>
    public const string PlatformMessage = "Durable Object connection closed because the object was reset.";

    public DurableObjectStubBrokenException()
        : base(PlatformMessage)
    {
    }

    public DurableObjectStubBrokenException(string message)
        : base(message)
    {
    }

    public DurableObjectStubBrokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
