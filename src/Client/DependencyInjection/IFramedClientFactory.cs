namespace EchoHost.Client;

/// <summary>
/// The named clients registered with <c>services.AddFramedClient(name, …)</c>, as <c>IHttpClientFactory</c> serves
/// named <c>HttpClient</c>s. A client holds connections and is meant to be shared, so each name has one instance,
/// created on first use and disposed with the service provider (the host).
/// </summary>
public interface IFramedClientFactory
{
    /// <summary>The client registered as <paramref name="name"/>, with its options (<c>FramedClients:&lt;name&gt;</c> and code).</summary>
    /// <exception cref="InvalidOperationException">No client of that name is registered.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">Its options are invalid.</exception>
    FramedClient GetClient(string name);
}
