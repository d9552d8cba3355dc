"""Sweeps of a sequence's points against a calibration value, on the simulated traps:
the fits find the simulated truth; 2-D sweeps are the product; orders only reorder."""
import os

import numpy as np
import pytest

from control.runner import run_experiment
from drivers import systems
from kernels.calibration.sweep import point_order

HERE = os.path.dirname(os.path.abspath(__file__))
SCAN = os.path.join(os.path.dirname(HERE), "experiments", "scan.py")


def scan(system, truth_offsets=None, seed=2, **arguments):
    config = systems.sim_config(system, seed=seed, truth_offsets=truth_offsets)
    return run_experiment(SCAN, "CalibrationScan", dict(arguments, system=system),
                          systems.device_db_path(system), sim=True, sim_options=config,
                          write=False)


def test_point_order():
    assert list(point_order(4)) == [0, 1, 2, 3]
    assert list(point_order(4, "reverse")) == [3, 2, 1, 0]
    shuffled = point_order(20, "shuffle", seed=1)
    assert sorted(shuffled) == list(range(20)) and list(shuffled) != list(range(20))
    assert list(point_order(20, "shuffle", seed=1)) == list(shuffled)
    with pytest.raises(ValueError, match="sideways"):
        point_order(3, "sideways")


@pytest.mark.parametrize("system", systems.names())
def test_a_rabi_sweep_measures_the_true_rabi_frequency(system):
    run = scan(system, truth_offsets={"rabi_scale": 1.05}, sequence="rabi", shots=100)
    t_pi = systems.nominal_calibrations(system)[system + ".drive.pi_time"]
    value, sigma = run.datasets["scan.fit.value"], run.datasets["scan.fit.uncertainty"]
    assert abs(value - 1.05 / (2 * t_pi)) < 3 * sigma
    assert sigma < 0.01 * value


def test_a_frequency_sweep_finds_the_moved_line():
    system = "ca40"
    run = scan(system, truth_offsets={"resonance_hz": [12e3, 0.0]}, shots=100,
               parameter="qubit frequency", durations={"ty": "NoScan", "value": 8e-6},
               offsets={"ty": "RangeScan", "start": -60e3, "stop": 60e3, "npoints": 25},
               order="shuffle")
    centre = systems.nominal_calibrations(system)[system + ".drive.beam0.frequency"]
    value, sigma = run.datasets["scan.fit.value"], run.datasets["scan.fit.uncertainty"]
    assert abs(value - (centre + 12e3)) < 3 * sigma and sigma < 2e3
    assert run.datasets["scan.signal_final"].shape == (25, 1)


def test_a_2d_sweep_is_the_product_and_peaks_on_resonance_at_the_pi_time():
    system = "yb171"
    run = scan(system, shots=40, parameter="qubit frequency",
               durations={"ty": "RangeScan", "start": 2e-6, "stop": 20e-6, "npoints": 10},
               offsets={"ty": "RangeScan", "start": -100e3, "stop": 100e3, "npoints": 9})
    signal = run.datasets["scan.signal_final"]
    assert signal.shape == (9, 10)
    assert "scan.fit.value" not in run.datasets  # a chevron is looked at, not fitted
    row, column = np.unravel_index(np.argmax(signal), signal.shape)
    assert row == 4  # no offset: the resonance
    assert column == 4  # 10 µs, the π time
    assert signal[0].max() < 0.5  # 100 kHz off, the qubit barely moves
