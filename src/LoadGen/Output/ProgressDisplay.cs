using System.Diagnostics;
using System.Globalization;
using EchoHost.LoadGen.Engine;

namespace EchoHost.LoadGen.Output;

/// <summary>
/// One line of progress while a run goes: rewritten in place four times a second on a terminal, a new line every five
/// seconds otherwise (logs). Reads the workers' counters without stopping them.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private readonly TextWriter _output;
    private readonly string _workload;
    private readonly RunControl _control;
    private readonly IReadOnlyList<Worker> _workers;
    private readonly bool _inPlace;
    private readonly Timer _timer;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _lock = new();
    private long _lastCompleted;
    private long _lastTicks;
    private bool _disposed;

    public ProgressDisplay(TextWriter output, string workload, RunControl control, IReadOnlyList<Worker> workers)
    {
        _output = output;
        _workload = workload;
        _control = control;
        _workers = workers;
        _inPlace = ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected;
        _lastTicks = _started;
        var period = _inPlace ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        _timer = new Timer(_ => Show(), null, period, period);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer.Dispose();
            if (_inPlace)
            {
                _output.Write("\r\x1b[K");
            }
        }
    }

    private void Show()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            long completed = 0, failed = 0, active = 0;
            foreach (var worker in _workers)
            {
                completed += Volatile.Read(ref worker.CompletedTotal);
                failed += Volatile.Read(ref worker.FailedTotal);
                active += Volatile.Read(ref worker.OpenedTotal);
            }

            var now = Stopwatch.GetTimestamp();
            var rate = (completed - _lastCompleted) * Stopwatch.Frequency / (double)Math.Max(1, now - _lastTicks);
            _lastCompleted = completed;
            _lastTicks = now;
            var line = string.Create(CultureInfo.InvariantCulture, $"{_workload}: {Stopwatch.GetElapsedTime(_started).TotalSeconds,6:F1} s  {Stage(now),-8} {completed,12:N0} answers  {rate,10:N0}/s  opened {active:N0}  errors {failed:N0}");
            if (_inPlace)
            {
                _output.Write("\r\x1b[K" + line);
            }
            else
            {
                _output.WriteLine(line);
            }

            _output.Flush();
        }
    }

    private string Stage(long now) => _control.Stage switch
    {
        RunStage.Running when now < _control.MeasureStart => "warm-up",
        RunStage.Running when now < _control.MeasureEnd => "measure",
        RunStage.Running => "drain",
        var stage => stage.ToString().ToLowerInvariant(),
    };
}
