"""How much host memory a run may take: its inputs (RB's program, a scan's points) are
sized before any work starts, and more than :data:`MEMORY_SHARE` of what is available is
refused with an error that says how much."""
import os

__all__ = ["MEMORY_SHARE", "available_memory", "bytes_text"]

#: The share of the memory available at build/prepare that one run's inputs may take
#: (RB's program, a scan's points): more is refused before any work starts.
MEMORY_SHARE = 0.5


def _read_int(path, field=None):
    """An integer from a file (the first of line ``field:`` when given), or None."""
    try:
        with open(path) as f:
            if field is None:
                return int(f.read().strip())
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory():
    """Bytes of memory this process can still take: the least of the system's available
    memory, a cgroup's (a container's) limit less its use, and the address-space limit
    (``ulimit -v``) less this process's size."""
    found = [_read_int("/proc/meminfo", "MemAvailable")]
    if found[0] is None:
        try:
            found = [os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")]
        except (AttributeError, ValueError, OSError):
            found = []
    for limit, used in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                        ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                         "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        limit, used = _read_int(limit), _read_int(used)  # v2 "max" reads as None
        if limit is not None and used is not None and limit < 2 ** 60:
            found.append(max(0, limit - used))
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        size = _read_int("/proc/self/status", "VmSize")
        if soft != resource.RLIM_INFINITY and size is not None:
            found.append(max(0, soft - size))
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    found = [n for n in found if n is not None]
    return min(found) if found else 4 * 2 ** 30  # unknown: assume 4 GiB


def bytes_text(n):
    """``n`` bytes for a message: ``"64.0 GB"``."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return "{:.0f} {}".format(n, unit) if unit == "bytes" else \
                "{:.1f} {}".format(n, unit)
        n /= 1000
