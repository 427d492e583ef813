using System.Globalization;
using EchoHost.Protocol;
using EchoHost.Serving.Framed.BuiltIn;


namespace EchoHost.Serving.Framed;

/// <summary>Which handler serves each message Type: the built-ins and the application's, looked up by index.</summary>
internal sealed class FramedHandlerRegistry
{
    private readonly BuiltInHandler?[] _builtIns = new BuiltInHandler?[256];
    private readonly FramedHandler?[] _applications = new FramedHandler?[256];

    public FramedHandlerRegistry(IEnumerable<FramedHandlerRegistration> registrations, IServiceProvider services, FramedStats stats)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (var builtIn in BuiltInHandlers.All)
        {
            _builtIns[builtIn.Type] = builtIn.Create(stats);
        }

        foreach (var registration in registrations)
        {
            // AddFramedHandler checks both already; a descriptor added by hand must not slip past them.
            if (!MessageTypes.IsApplication(registration.Type) || _applications[registration.Type] is not null)
            {
                throw new InvalidOperationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Framed handler {registration.Description} for Type 0x{registration.Type:X2}: the Type is outside 0x50 to 0xEF or registered twice."));
            }

            _applications[registration.Type] = registration.Factory(services)
                ?? throw new InvalidOperationException($"The factory of framed handler {registration.Description} returned null.");
        }
    }

    public BuiltInHandler? GetBuiltIn(byte type) => _builtIns[type];

    public FramedHandler? GetApplication(byte type) => _applications[type];
}
