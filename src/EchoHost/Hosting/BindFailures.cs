using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace EchoHost.Hosting;

/// <summary>
/// Remembers which endpoint a transport failed to bind, and with which exception. Kestrel's own exception names
/// only an address in prose; with this record the start-up error can name the EchoHost endpoint for certain,
/// whichever transport runs.
/// </summary>
internal sealed class BindFailures
{
    private readonly Lock _gate = new();
    private readonly List<(EndPoint EndPoint, Exception Exception)> _failures = [];

    /// <summary>True once any bind has failed, even one that Kestrel tolerated (IPv6 loopback missing for localhost).</summary>
    public bool Any
    {
        get
        {
            lock (_gate)
            {
                return _failures.Count > 0;
            }
        }
    }

    public void Record(EndPoint endPoint, Exception exception)
    {
        lock (_gate)
        {
            _failures.Add((endPoint, exception));
        }
    }

    /// <summary>
    /// Finds the failed bind that caused <paramref name="exception"/>: the recorded exception itself or one it wraps,
    /// matched by identity so that a failure Kestrel tolerated is never blamed for another.
    /// </summary>
    public bool TryFind(Exception exception, out EndPoint? endPoint, out Exception? cause)
    {
        lock (_gate)
        {
            // Kestrel wraps a failed bind in an IOException, the host may wrap that in turn: walk the chain.
            for (var current = exception; current is not null; current = current.InnerException)
            {
                foreach (var (failedEndPoint, failure) in _failures)
                {
                    if (ReferenceEquals(failure, current))
                    {
                        endPoint = failedEndPoint;
                        cause = failure;
                        return true;
                    }
                }
            }
        }

        endPoint = null;
        cause = null;
        return false;
    }

    /// <summary>
    /// Wraps every registered <see cref="IConnectionListenerFactory"/> (Kestrel's Sockets transport, the native one)
    /// so that a failed bind is recorded before Kestrel sees it. Call after the transports are registered.
    /// </summary>
    public void Install(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(IConnectionListenerFactory) || descriptor.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Describe(
                typeof(IConnectionListenerFactory),
                provider => new RecordingListenerFactory(CreateInner(provider, descriptor), ownsInner: descriptor.ImplementationInstance is null, this),
                descriptor.Lifetime);
        }
    }

    private static IConnectionListenerFactory CreateInner(IServiceProvider provider, ServiceDescriptor descriptor) =>
        (IConnectionListenerFactory)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(provider)
            ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));

    /// <summary>A transport as it was, except that a failed bind is recorded on its way out.</summary>
    private sealed class RecordingListenerFactory(IConnectionListenerFactory inner, bool ownsInner, BindFailures failures)
        : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
    {
        public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.BindAsync(endpoint, cancellationToken);
            }
            catch (Exception ex)
            {
                failures.Record(endpoint, ex);
                throw;
            }
        }

        // Kestrel asks each factory whether it can bind an endpoint; one that is no selector binds everything.
        public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

        // The container disposes what it created; the inner factory it no longer sees is ours to dispose.
        public async ValueTask DisposeAsync()
        {
            if (!ownsInner)
            {
                return;
            }

            switch (inner)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
