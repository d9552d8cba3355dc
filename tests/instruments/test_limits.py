"""Ramp planning and limit checks on their own (no instrument)."""
import math

import numpy as np
import pytest

from drivers.instruments import SafetyLimitError
from drivers.instruments.limits import check_range, check_step, ramp_points


@pytest.mark.parametrize("start, target, step", [
    (0.0, 1.0, 0.1), (0.0, 2.9995, 1.0), (-20.0, 0.0, 3.0), (5.0, -5.0, 0.7),
    (1.0, 1.0, 0.5), (0.0, 1e-9, 1.0), (0.0, 10.0, None),
])
def test_ramp_points_end_on_target_in_allowed_steps(start, target, step):
    points = ramp_points(start, target, step)
    if start == target:
        assert points == []
        return
    assert points[-1] == target
    steps = [b - a for a, b in zip([start] + points, points)]
    if step is None:
        assert points == [target]
    else:
        assert all(abs(s) <= step + 1e-12 for s in steps)
        assert len(points) == max(1, math.ceil(abs(target - start) / step - 1e-9))
        assert all((s > 0) == (target > start) for s in steps)  # monotonic


def test_check_range_refuses_non_numbers():
    with pytest.raises(SafetyLimitError, match="'5' refused: not a number"):
        check_range("DEV", "power", "5", None, 10, "dBm")
    with pytest.raises(SafetyLimitError, match="not a number"):
        check_range("DEV", "output", True, None, 10, "")


def test_check_step_allows_exactly_the_limit():
    check_step("DEV", "current", 1.0, 1.2, 0.2, "A", "ramp_current")
    with pytest.raises(SafetyLimitError, match="DEV: current step from 1 to 1.21 A"):
        check_step("DEV", "current", 1.0, 1.21, 0.2, "A", "ramp_current")
    check_step("DEV", "current", 0.0, 100.0, None, "A", "ramp_current")


def test_numpy_scalars_are_numbers():
    check_range("DEV", "power", np.float32(-3.0), -10, 0, "dBm")
    check_range("DEV", "current", np.int64(1), 0, 2, "A")
    with pytest.raises(SafetyLimitError, match="current 3 A refused: above"):
        check_range("DEV", "current", np.int64(3), 0, 2, "A")
