"""The errors a run reports as bad input, and the hint they end with.

Each names what was wrong and where; ``control``'s command line prints them as one line
and exits with status 2. They are raised by the device database (:mod:`control.device_db`),
the managers (:mod:`control.managers`), the module system and the kernels' argument checks.
"""
import difflib
from collections.abc import Iterable

__all__ = ["DeviceDBError", "DeviceError", "ArgumentError", "DatasetError", "closest_hint"]


class DeviceDBError(Exception):
    """A device database that cannot be used as it is."""


class DeviceError(Exception):
    """A device that cannot be had: missing from the database, or failing to build."""


class ArgumentError(Exception):
    """An argument the experiment does not take, or a value it cannot accept."""


class DatasetError(Exception):
    """A dataset that cannot be read or written as asked."""


def closest_hint(name: str, names: Iterable[str]) -> str:
    """``"; closest: a, b"``: the (up to three) ``names`` nearest to ``name``, to end an
    error message with, or ``""`` when none is near."""
    close = difflib.get_close_matches(name, list(names), n=3, cutoff=0.5)
    return "; closest: " + ", ".join(close) if close else ""
