using System.Net;
using System.Net.Sockets;

namespace Simulator.Silo;

internal static class SiloEndpoints
{
    /// <summary>
    /// The IP address a silo advertises: Orleans needs an address, while a container knows
    /// itself by its service name, so a host name is resolved once at start.
    /// </summary>
    public static async Task<IPAddress> ResolveAsync(string advertised)
    {
        if (IPAddress.TryParse(advertised, out var address))
        {
            return address;
        }

        try
        {
            var addresses = await Dns.GetHostAddressesAsync(advertised, AddressFamily.InterNetwork);
            return addresses.FirstOrDefault() ?? throw new SettingsException($"--advertised-address '{advertised}' resolves to no IPv4 address: give an IP address or a host name this machine can resolve.");
        }
        catch (SocketException ex)
        {
            throw new SettingsException($"--advertised-address '{advertised}' cannot be resolved ({ex.Message}): give an IP address or a host name this machine can resolve.");
        }
    }
}
