using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using EchoHost.Configuration;
using EchoHost.Connections;
using EchoHost.Protocol;
using EchoHost.Serving.Framed.BuiltIn;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Serving.Framed;

/// <summary>Registers an application's handlers for the framed protocol's Types 0x50 to 0xEF.</summary>
public static class FramedServiceCollectionExtensions
{
    /// <summary>
    /// Serves message Type <paramref name="type"/> with <typeparamref name="THandler"/>, created once from the
    /// service provider (its constructor may take services) and shared by every connection.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not from 0x50 to 0xEF.</exception>
    /// <exception cref="InvalidOperationException">A handler is already registered for <paramref name="type"/>.</exception>
    public static IServiceCollection AddFramedHandler<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(
        this IServiceCollection services, byte type)
        where THandler : FramedHandler
    {
        Register(services, type, provider => ActivatorUtilities.CreateInstance<THandler>(provider), typeof(THandler).Name);
        return services;
    }

    /// <summary>
    /// Serves message Type <paramref name="type"/> with an asynchronous delegate: it writes the Response into its
    /// <see cref="FramedServerResponse"/>; see <see cref="FramedHandler.HandleAsync"/> for what it may rely on.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not from 0x50 to 0xEF.</exception>
    /// <exception cref="InvalidOperationException">A handler is already registered for <paramref name="type"/>.</exception>
    public static IServiceCollection AddFramedHandler(
        this IServiceCollection services, byte type, Func<FramedRequest, FramedServerResponse, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Register(services, type, _ => new DelegateFramedHandler(handler), "a delegate");
        return services;
    }

    private static void Register(IServiceCollection services, byte type, Func<IServiceProvider, FramedHandler> factory, string description)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!MessageTypes.IsApplication(type))
        {
            throw new ArgumentOutOfRangeException(
                nameof(type),
                type,
                string.Create(CultureInfo.InvariantCulture, $"Framed handler {description} for Type 0x{type:X2}: applications may register Types 0x{MessageTypes.FirstApplication:X2} to 0x{MessageTypes.LastApplication:X2} only; the others are built in or reserved."));
        }

        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(FramedHandlerRegistration)
                && descriptor.ImplementationInstance is FramedHandlerRegistration existing
                && existing.Type == type)
            {
                throw new InvalidOperationException(
                    string.Create(CultureInfo.InvariantCulture, $"Framed handler {description} for Type 0x{type:X2}: {existing.Description} is already registered for that Type."));
            }
        }

        services.AddSingleton(new FramedHandlerRegistration(type, factory, description));
    }

    /// <summary>What the framed endpoints need: their options, the handlers, the counters and the global bound.</summary>
    internal static IServiceCollection AddFramedProtocol(this IServiceCollection services, FramedOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(provider => new MessageTypeSlots(ServedTypes(provider.GetServices<FramedHandlerRegistration>())));
        services.AddSingleton<FramedStats>();
        services.AddSingleton<HandlerLimiter>();
        services.AddSingleton<FramedHandlerRegistry>();
        services.AddSingleton<FramedConnectionServices>();
        return services;
    }

    /// <summary>The Types that have a handler, each with its label value: the built-ins by name, then the application's by number.</summary>
    private static IEnumerable<(byte Type, string Name)> ServedTypes(IEnumerable<FramedHandlerRegistration> registrations) =>
        BuiltInHandlers.All.Select(b => (b.Type, b.Name))
            .Concat(registrations.OrderBy(r => r.Type).Select(r => (r.Type, string.Create(CultureInfo.InvariantCulture, $"0x{r.Type:X2}"))));

    /// <summary>Adapts a delegate to <see cref="FramedHandler"/>: asynchronous path only.</summary>
    private sealed class DelegateFramedHandler(Func<FramedRequest, FramedServerResponse, CancellationToken, ValueTask> handler) : FramedHandler
    {
        public override ValueTask HandleAsync(FramedRequest request, FramedServerResponse response, CancellationToken cancellationToken) =>
            handler(request, response, cancellationToken);
    }
}

/// <summary>One application handler as registered: its Type and how to create it.</summary>
internal sealed record FramedHandlerRegistration(byte Type, Func<IServiceProvider, FramedHandler> Factory, string Description);
