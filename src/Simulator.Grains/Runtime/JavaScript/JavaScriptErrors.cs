namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>An exception thrown or a promise rejected by a version's JavaScript, with its JS stack.</summary>
[GenerateSerializer, Alias("dosim.UncaughtJavaScriptException")]
public sealed class UncaughtJavaScriptException : Exception
{
    public UncaughtJavaScriptException()
    {
    }

    public UncaughtJavaScriptException(string message)
        : base(message)
    {
    }

    public UncaughtJavaScriptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UncaughtJavaScriptException(string message, string? javaScriptStack)
        : base(message) => JavaScriptStack = javaScriptStack;

    /// <summary>The stack as the script's engine tells it (file:line:column of each frame).</summary>
    [Id(0)]
    public string? JavaScriptStack { get; private set; }
}

/// <summary>A turn of JavaScript went over a sandbox limit; <see cref="Outcome"/> is the platform's word for it.</summary>
[GenerateSerializer, Alias("dosim.JavaScriptLimitException")]
public sealed class JavaScriptLimitException : Exception
{
    public JavaScriptLimitException()
    {
    }

    public JavaScriptLimitException(string message)
        : base(message)
    {
    }

    public JavaScriptLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public JavaScriptLimitException(string message, string outcome, Exception innerException)
        : base(message, innerException) => Outcome = outcome;

    /// <summary>The trace event's outcome: <c>exceededCpu</c>, <c>exceededMemory</c> or <c>exception</c>.</summary>
    [Id(0)]
    public string Outcome { get; private set; } = "exception";
}
