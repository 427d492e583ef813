using System.Reflection;
using Xunit.Sdk;

namespace EchoHost.EndToEnd.Tests.Support;

/// <summary>
/// A theory's row, run once for each of <see cref="ServiceBuilds"/>: the build comes first among the test's
/// parameters, then <see cref="Data"/> as <c>InlineData</c> would pass it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ForEachBuildAttribute(params object?[] data) : DataAttribute
{
    public IReadOnlyList<object?> Data { get; } = data;

    public override IEnumerable<object?[]> GetData(MethodInfo testMethod) =>
        [[ServiceBuilds.Jit, .. Data], [ServiceBuilds.NativeAot, .. Data]];
}
