"""Seconds to machine units, the two ways ARTIQ converts them.

* ``delay(seconds)`` in a kernel is compiled to ``delay_mu(round(seconds / ref_period))``
  with LLVM's ``llvm.round`` — to nearest, half away from zero: :func:`delay_mu_of`.
* ``core.seconds_to_mu(seconds)`` is ``int64(seconds // ref_period)`` — floor, so with
  ``ref_period = 1e-9`` one microsecond becomes 999 mu (``1e-6 // 1e-9 == 999.0``).

The project converts calibrated durations with :func:`delay_mu_of`, so that
``delay_mu(self.t)`` lasts exactly what ``delay(t)`` would.
"""
import math

import numpy as np

__all__ = ["round_half_away", "delay_mu_of"]


def round_half_away(x: float) -> int:
    """Round to nearest, half away from zero (``llvm.round.f64``)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def delay_mu_of(seconds: float, ref_period: float) -> np.int64:
    """The int64 machine units that ``delay(seconds)`` advances on the core device."""
    return np.int64(round_half_away(seconds / ref_period))
