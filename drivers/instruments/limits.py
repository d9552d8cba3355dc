"""Safety-limit checks and ramp planning shared by the drivers.

They are plain functions with no I/O so that a refusal can happen before
anything is sent to an instrument, and so that the ramp plan can be tested on
its own.
"""
import math
import numbers

from .errors import SafetyLimitError

# Read-back values are formatted by the instrument; allow for rounding in the
# last printed digit so that a step of exactly the limit is not refused.
STEP_TOLERANCE = 1e-6


def _is_number(value):
    """A real number (numpy scalars included), but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_range(resource, quantity, value, low, high, unit):
    """Refuse ``value`` outside ``[low, high]`` (either bound may be None).

    Also refuses NaN and infinities, which no instrument should be sent.
    """
    if not _is_number(value):
        raise SafetyLimitError(
            "{}: {} {!r} refused: not a number".format(resource, quantity, value))
    if not math.isfinite(value):
        raise SafetyLimitError(
            "{}: {} {} refused: not a finite number".format(resource, quantity, value))
    if low is not None and value < low:
        raise SafetyLimitError(
            "{}: {} {:g} {} refused: below the configured minimum {:g} {}; nothing was sent"
            .format(resource, quantity, value, unit, low, unit))
    if high is not None and value > high:
        raise SafetyLimitError(
            "{}: {} {:g} {} refused: above the configured maximum {:g} {}; nothing was sent"
            .format(resource, quantity, value, unit, high, unit))


def check_step(resource, quantity, present, value, max_step, unit, helper):
    """Refuse a jump from ``present`` to ``value`` larger than ``max_step``
    (None means no ramp limit). ``helper`` names the ramp method to use instead."""
    if max_step is None:
        return
    if abs(value - present) > max_step + STEP_TOLERANCE:
        raise SafetyLimitError(
            "{}: {} step from {:g} to {:g} {} ({:g} {}) refused: larger than the "
            "configured maximum step {:g} {}; use {}() to get there; nothing was sent"
            .format(resource, quantity, present, value, unit, abs(value - present), unit,
                    max_step, unit, helper))


def check_ramp_step(resource, quantity, step, max_step, unit):
    """Validate the step a caller asked a ramp helper to use; return the step to use."""
    if step is None:
        return max_step
    if not _is_number(step) or not math.isfinite(step) or step <= 0:
        raise SafetyLimitError(
            "{}: ramp step {!r} {} for {} refused: must be a positive number"
            .format(resource, step, unit, quantity))
    if max_step is not None and step > max_step + STEP_TOLERANCE:
        raise SafetyLimitError(
            "{}: ramp step {:g} {} for {} refused: larger than the configured maximum "
            "step {:g} {}".format(resource, step, unit, quantity, max_step, unit))
    return step


def ramp_points(start, target, step):
    """Evenly spaced values from ``start`` (excluded) to ``target`` (included),
    no two neighbours further apart than ``step``; ``step`` None means one jump.

    Evenly spaced rather than ``start + k*step`` so that the last point is
    exactly ``target`` and no rounding makes a step exceed the limit.
    """
    distance = target - start
    if distance == 0:
        return []
    if step is None:
        return [target]
    n = max(1, math.ceil(abs(distance) / step - 1e-9))
    return [start + distance * k / n for k in range(1, n)] + [target]
