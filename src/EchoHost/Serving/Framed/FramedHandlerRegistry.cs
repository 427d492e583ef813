using System.Globalization;
using EchoHost.Protocol;
using EchoHost.Serving.Framed.BuiltIn;

namespace EchoHost.Serving.Framed;

/// <summary>
/// Which handler serves each message Type, looked up by index: the built-ins at their reserved Types, the application's
/// at Types 0x50 to 0xEF.
/// </summary>
internal sealed class FramedHandlerRegistry
{
    private readonly FramedHandler?[] _handlers = new FramedHandler?[256];

    public FramedHandlerRegistry(IEnumerable<FramedHandlerRegistration> registrations, IServiceProvider services, FramedStats stats)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (var builtIn in BuiltInHandlers.All)
        {
            _handlers[builtIn.Type] = builtIn.Create(stats);
        }

        foreach (var registration in registrations)
        {
            // AddFramedHandler checks both already; a descriptor added by hand must not slip past them.
            if (!MessageTypes.IsApplication(registration.Type) || _handlers[registration.Type] is not null)
            {
                throw new InvalidOperationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Framed handler {registration.Description} for Type 0x{registration.Type:X2}: the Type is outside 0x50 to 0xEF or registered twice."));
            }

            _handlers[registration.Type] = registration.Factory(services)
                ?? throw new InvalidOperationException($"The factory of framed handler {registration.Description} returned null.");
        }
    }

    public FramedHandler? Get(byte type) => _handlers[type];
}
