namespace Simulator.Core.Assets;

/// <summary>
/// An asset's bytes and the content type it is served with (null: none), stored once per content
/// hash however many versions and Workers use it.
/// </summary>
public sealed record AssetContent(byte[] Bytes, string? ContentType);
