using Microsoft.Extensions.Time.Testing;

namespace EchoHost.Client.Tests.Support;

internal static class FakeTime
{
    /// <summary>
    /// Advances <paramref name="time"/> by <paramref name="step"/> until <paramref name="task"/> completes, giving the
    /// real work that each step releases (a connection attempt, a write) a moment on the real clock between steps;
    /// fails if it has not completed after <paramref name="limit"/> of fake time.
    /// </summary>
    public static async Task<T> AdvanceUntilAsync<T>(this FakeTimeProvider time, Task<T> task, TimeSpan step, TimeSpan limit)
    {
        var advanced = TimeSpan.Zero;
        while (!task.IsCompleted)
        {
            Assert.True(advanced <= limit, $"Not done after {limit} of fake time.");
            time.Advance(step);
            advanced += step;
            await Task.WhenAny(task, Task.Delay(20));
        }

        return await task;
    }
}
