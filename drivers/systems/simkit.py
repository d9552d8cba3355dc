"""What the trap systems' simulator configurations share."""
import os

from control.environment import load_device_db
from control.sim import resolve

__all__ = ["on_dds_grid", "crate", "detectors", "sim_config"]


def on_dds_grid(frequency, bits, sysclk=1e9):
    """The frequency a DDS with a ``bits``-bit tuning word at ``sysclk`` actually makes
    for ``frequency``. A perfectly calibrated ion sits exactly there: with the bare value
    the qubit frame would drift from the DDS phase by the rounding error (0.1 Hz with a
    32-bit word at 1 GHz), a real effect that a real calibration absorbs."""
    step = sysclk / 2 ** bits
    return round(frequency / step) * step


def crate(system_folder):
    """The crate's device database and two helpers: the entry name behind a role name,
    and the RF-switch TTL of a DDS channel."""
    ddb = load_device_db(os.path.join(system_folder, "device_db.py"))

    def name(role):
        return resolve(ddb, role)

    def switch(dds):
        return ddb[name(dds)]["arguments"]["sw_device"]

    return ddb, name, switch


def detectors(name, pmts, beam, bright_rate, dark_rate, bright_state):
    """One detector per qubit, PMT role names in qubit order."""
    return {name(pmt): {"qubit": q, "beam": beam, "bright_rate": bright_rate,
                        "dark_rate": dark_rate, "bright_state": bright_state}
            for q, pmt in enumerate(pmts)}


def sim_config(model, calibrations, errors=None, seed=None, vcd=None, overrides=None):
    """Keyword arguments for ``control.sim.enable``: the ion model built by
    ``model(errors, calibrations)`` and the calibrations as default datasets."""
    cal = dict(calibrations, **(overrides or {}))
    config = {"model": model(errors, cal), "datasets": cal}
    if seed is not None:
        config["seed"] = seed
    if vcd is not None:
        config["vcd"] = vcd
    return config
