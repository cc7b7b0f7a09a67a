namespace Simulator.Core;

/// <summary>Worker names as the platform accepts them: 1–63 lowercase letters, digits and dashes, no dash at either end.</summary>
public static class WorkerNames
{
    public static RuleError? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || name[0] == '-' || name[^1] == '-'
            || !name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
        {
            return new RuleError(RuleError.InvalidInput, $"'{name}' is not a valid Worker name: use 1 to 63 lowercase letters, digits and dashes, not starting or ending with a dash (e.g. my-worker).");
        }

        return null;
    }
}

/// <summary>Secret names: a letter or underscore, then letters, digits and underscores.</summary>
public static class SecretNames
{
    public static RuleError? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetter(name[0]) || name[0] == '_')
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return new RuleError(RuleError.InvalidInput, $"'{name}' is not a valid secret name: use letters, digits and underscores, starting with a letter or underscore (e.g. API_KEY).");
        }

        return null;
    }
}
