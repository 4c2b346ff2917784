"""This process's own CPU time and peak memory, as the audit step log records them.

``getrusage(RUSAGE_SELF).ru_maxrss`` is not this process's peak on Linux: at ``execve`` the kernel
keeps the largest resident size of the memory image being replaced, so a process forked (or
vforked) from a large parent and then exec'd reports at least the parent's size at the fork.
Dagster's run workers are started that way by the code server, so a worker's ``ru_maxrss`` was
the code server's memory whenever that was larger (after it rebuilt the partition status caches,
the largest worker peak of a 1,000-tenant morning read 388 MiB; read with ``VmHWM``, 221 MiB,
BENCHMARKS.md). ``VmHWM`` in ``/proc/self/status`` is the high-water mark of this process's own
memory image since its exec; ``ru_maxrss`` stays the fallback where there is no ``/proc`` (it
is in bytes on macOS, KiB elsewhere).
"""

import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process (threads included, children not)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 3)


def peak_rss_mib() -> float:
    """The high-water mark of this process's resident memory since it started, in MiB."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)  # "VmHWM:   123456 kB"
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
