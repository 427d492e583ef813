#!/usr/bin/env python3
"""Start-up time and idle memory of EchoHost builds, side by side, in one run.

    bench/startup.py [--starts N] [--settle S] NAME=COMMAND [NAME=COMMAND ...]

Each COMMAND (run through bash, `exec` recommended so that the measured process is the service) is started N times,
the builds taking turns (A B A B ...). A start is timed from just before the fork to the READY=1 the service sends
to NOTIFY_SOCKET (sd_notify, as under systemd), which it sends once every endpoint listens; the CPU time the process
has used by then (user + system, from /proc, in clock ticks of 10 ms) is read too, since on a shared machine the wall
time also counts the waits for a CPU. Then the process is left idle for S seconds and its VmRSS read from /proc
before SIGTERM stops it; every start must exit 0. Prints the median, minimum and maximum of each figure per build.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def start_once(command, settle):
    with tempfile.TemporaryDirectory(prefix="echohost-startup-") as folder:
        path = os.path.join(folder, "notify")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(path)
        listener.settimeout(60)
        environment = dict(os.environ, NOTIFY_SOCKET=path)
        began = time.perf_counter()
        process = subprocess.Popen(["bash", "-c", command], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while True:
                message = listener.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    ready_ms = (time.perf_counter() - began) * 1000
                    cpu_ms = cpu_time_ms(process.pid)
                    break
            time.sleep(settle)
            with open(f"/proc/{process.pid}/status") as status:
                rss_kib = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=60)
            if process.returncode != 0:
                sys.exit(f"startup.py: {command!r} exited with {process.returncode}: {errors.decode()[-2000:]}")
            return ready_ms, cpu_ms, rss_kib
        finally:
            if process.poll() is None:
                process.kill()
            listener.close()


def cpu_time_ms(pid):
    with open(f"/proc/{pid}/stat") as stat:
        # The fields after the command's name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def summary(values, unit):
    return f"{statistics.median(values):,.1f} {unit} (min {min(values):,.1f}, max {max(values):,.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds idle before RSS is read")
    parser.add_argument("servers", nargs="+", metavar="NAME=COMMAND")
    options = parser.parse_args()
    servers = [tuple(s.split("=", 1)) for s in options.servers]
    ready = {name: [] for name, _ in servers}
    cpu = {name: [] for name, _ in servers}
    rss = {name: [] for name, _ in servers}
    for round_ in range(options.starts):
        for name, command in (servers if round_ % 2 == 0 else list(reversed(servers))):
            ready_ms, cpu_ms, rss_kib = start_once(command, options.settle)
            ready[name].append(ready_ms)
            cpu[name].append(cpu_ms)
            rss[name].append(rss_kib / 1024)
    width = max(len(name) for name, _ in servers)
    print(f"{options.starts} starts each, taking turns; idle RSS read {options.settle:g} s after READY=1")
    for name, _ in servers:
        print(f"{name:<{width}}  exec -> READY=1: {summary(ready[name], 'ms')}   CPU to READY=1: {summary(cpu[name], 'ms')}"
              f"   idle RSS: {summary(rss[name], 'MB')}")


if __name__ == "__main__":
    main()
