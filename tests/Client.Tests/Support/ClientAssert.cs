namespace EchoHost.Client.Tests.Support;

internal static class ClientAssert
{
    /// <summary>
    /// Asserts that <paramref name="call"/> fails as a connection failure whose moment the test cannot choose: either
    /// not sent (<see cref="FramedUnavailableException"/>) or lost after it was sent (<see cref="FramedOutcomeUnknownException"/>).
    /// </summary>
    public static async Task<FramedConnectionException> ConnectionFailureAsync(Func<Task> call)
    {
        var failure = await Assert.ThrowsAnyAsync<FramedConnectionException>(call);
        Assert.True(
            failure is FramedUnavailableException or FramedOutcomeUnknownException,
            $"Expected FramedUnavailableException or FramedOutcomeUnknownException, got {failure.GetType().Name}: {failure.Message}");
        return failure;
    }

    /// <summary>
    /// Waits, on the real clock, for something that background work (a connection attempt, a socket closing) makes
    /// true; the bound only catches a hang.
    /// </summary>
    public static Task EventuallyAsync(Func<bool> condition, string what) => EventuallyAsync(() => Task.FromResult(condition()), what);

    /// <inheritdoc cref="EventuallyAsync(Func{bool}, string)"/>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Still not true after a minute: {what}");
            await Task.Delay(10);
        }
    }
}
