namespace Simulator.Api;

/// <summary>A request the API refuses: the HTTP status and the error the envelope carries. Nothing was changed.</summary>
public sealed class ApiException : Exception
{
    public ApiException()
    {
    }

    public ApiException(string message)
        : base(message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ApiException(int status, int code, string message)
        : base(message) => (Status, Code) = (status, code);

    public int Status { get; } = 400;

    public int Code { get; } = ApiErrors.InvalidRequest;
}
