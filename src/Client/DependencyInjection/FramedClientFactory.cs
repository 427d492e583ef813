using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EchoHost.Client.DependencyInjection;

/// <summary>One client per registered name, created from its named options on first use; disposes them all with the container.</summary>
internal sealed class FramedClientFactory(IOptionsMonitor<FramedClientOptions> options, FramedClientNames names) : IFramedClientFactory, IAsyncDisposable, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FramedClient>> _clients = new(StringComparer.Ordinal);
    private int _disposed;

    public FramedClient GetClient(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!names.Contains(name))
        {
            throw new InvalidOperationException(
                $"No framed client named '{name}' is registered; register it with services.AddFramedClient(\"{name}\", …). Registered: {names.Describe()}.");
        }

        return _clients.GetOrAdd(name, static (key, monitor) => new Lazy<FramedClient>(() => new FramedClient(monitor.Get(key))), options).Value;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var client in _clients.Values)
        {
            if (client.IsValueCreated)
            {
                await client.Value.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // A container disposed synchronously still closes the connections.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>The names given to <c>AddFramedClient</c>.</summary>
internal sealed class FramedClientNames
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public void Add(string name)
    {
        lock (_names)
        {
            _names.Add(name);
        }
    }

    public bool Contains(string name)
    {
        lock (_names)
        {
            return _names.Contains(name);
        }
    }

    public string Describe()
    {
        lock (_names)
        {
            return _names.Count == 0 ? "none" : string.Join(", ", _names.Order(StringComparer.Ordinal));
        }
    }
}

/// <summary>Checks a registered client's options when they are first read (and at start, with ValidateOnStart), naming its configuration section.</summary>
internal sealed class FramedClientOptionsValidator(FramedClientNames names) : IValidateOptions<FramedClientOptions>
{
    public ValidateOptionsResult Validate(string? name, FramedClientOptions options)
    {
        if (name is null || !names.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        if (!options.NamesEndPoint)
        {
            return ValidateOptionsResult.Fail($"Framed client '{name}': set {FramedClientServiceCollectionExtensions.SectionOf(name)}:Host (and Port) or :UnixSocketPath.");
        }

        try
        {
            options.Validated();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail($"Framed client '{name}' ({FramedClientServiceCollectionExtensions.SectionOf(name)}): {ex.Message}");
        }
    }
}
