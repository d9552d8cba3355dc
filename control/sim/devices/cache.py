"""Simulated ``artiq.coredevice.cache.CoreCache``: lists of 32-bit integers kept on the
core device between kernels (here: for the life of the device manager).

Same methods and semantics as ARTIQ's driver: ``get(key)`` returns the stored list
itself (not a copy: mutating it changes the cache), or an empty list; ``put(key, value)``
stores a copy, and an empty list removes the entry. As on the core device, ``put`` on a
key that a kernel still running has extracted with ``get`` raises ``CacheError``. No
timeline advance; the syscalls' CPU time is not modelled.
"""
from control.lang import portable

__all__ = ["CoreCache", "CacheError"]


class CacheError(Exception):
    """A ``put`` into a cache row that a running kernel still holds from ``get``."""
    artiq_builtin = True


class CoreCache:
    """Core device cache access (``artiq.coredevice.cache.CoreCache``)."""

    def __init__(self, dmgr, core_device="core", _key=None):
        self.core = dmgr.get(core_device)
        self.sim = self.core.sim
        self._store = {}
        self._borrowed = {}  # key -> the kernel run (sim.kernels_run) that extracted it

    def _running(self):
        return self.sim.kernels_run if self.sim.kernel_depth else None

    @portable
    def get(self, key):
        """The list stored under ``key`` (itself, not a copy), or an empty list. Does not
        advance the timeline."""
        value = self._store.get(key)
        if value is None:
            return []
        run = self._running()
        if run is not None:
            self._borrowed[key] = run
        return value

    @portable
    def put(self, key, value):
        """Store a copy of ``value`` under ``key`` (an empty list removes it);
        ``CacheError`` if the running kernel got it with ``get``. Does not advance the
        timeline."""
        run = self._running()
        if run is not None and self._borrowed.get(key) == run:
            raise CacheError("cannot put into a busy cache row: {!r} was extracted with "
                             "get() by the kernel still running".format(key))
        if len(value):
            self._store[key] = [int(v) for v in value]
        else:
            self._store.pop(key, None)
