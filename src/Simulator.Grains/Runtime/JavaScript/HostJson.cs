using Jint;
using Jint.Native;
using Jint.Native.Json;

namespace Simulator.Grains.Runtime.JavaScript;

/// <summary>
/// <c>JSON.stringify(value)</c> for the host's fast paths (<c>Response.json</c>, <c>storage.put</c>):
/// one serializer per engine instead of one per call. A serializer holds its walk's state, so a
/// <c>toJSON</c> that serializes again while it runs gets a serializer of its own.
/// </summary>
internal sealed class HostJson(Engine engine)
{
    private JsonSerializer? _idle = new(engine);

    public JsValue Serialize(JsValue value)
    {
        var serializer = _idle ?? new JsonSerializer(engine);
        _idle = null;
        try
        {
            return serializer.Serialize(value);
        }
        finally
        {
            _idle = serializer;
        }
    }
}
