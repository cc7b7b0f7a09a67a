using Microsoft.Extensions.Options;

namespace Simulator.Silo;

/// <summary>Checks the silo's settings; the first problem is the answer, naming the setting and what it must be.</summary>
public sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        try
        {
            SiloSettings.From(options);
            return ValidateOptionsResult.Success;
        }
        catch (SettingsException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
