"""The installed trap systems, by name.

Experiments take the system as an argument (``EnumerationValue(names())``) and build it
with :func:`build`; nothing else in experiments or kernels names a trap.
"""
import importlib
import os

__all__ = ["SYSTEMS", "names", "system_class", "build", "device_db_path", "sim_config",
           "nominal_calibrations"]

#: name -> package holding the system class ``System``, device_db.py and sim.py
SYSTEMS = {
    "yb171": "drivers.systems.yb171",
    "ca40": "drivers.systems.ca40",
}


def names():
    return sorted(SYSTEMS)


def _package(name):
    try:
        return importlib.import_module(SYSTEMS[name])
    except KeyError:
        raise KeyError("no trap system {!r}; installed: {}".format(
            name, ", ".join(names()))) from None


def system_class(name):
    return _package(name).System


def build(parent, name):
    """Build system ``name`` as a child of ``parent`` (an experiment's ``build``)."""
    return system_class(name)(parent)


def device_db_path(name):
    """The system's hardware device database."""
    return os.path.join(os.path.dirname(_package(name).__file__), "device_db.py")


def sim_config(name, **overrides):
    """Keyword arguments of ``control.sim.enable`` for the system's simulated twin."""
    return importlib.import_module(SYSTEMS[name] + ".sim").sim_config(**overrides)


def nominal_calibrations(name):
    """The trap's design values of its calibrations (``NOMINAL`` in its ``nominal.py``,
    plain data without the simulator, which a lab edits for its own trap): the lab's
    settings (attenuations, amplitudes, trap RF, oven) and the starting guesses of what
    the calibration graph measures. ``control calibrate`` writes the settings a dataset
    DB lacks from them, ``control calibrations --from nominal`` all of them, and the
    simulated twin starts from them (``sim.CALIBRATIONS``)."""
    return dict(importlib.import_module(SYSTEMS[name] + ".nominal").NOMINAL)


def setattr_system(env, default=None, group="System"):
    """The ``system`` argument (a choice of the installed traps) and the built system, as
    ``env.system`` (the name) and ``env.trap`` (the ``System``).

    ``env.trap`` is None while the master examines the experiment: its repository scan
    builds every experiment with each argument None, only to list the arguments, so there
    is no trap to build. An experiment's ``build`` declares all its arguments first and
    returns before anything that needs the trap when ``env.trap`` is None.
    """
    from control.lang import EnumerationValue
    env.setattr_argument("system", EnumerationValue(names(), default or names()[-1]),
                         group=group, tooltip="the trap to run on; its device database "
                                              "and calibrations must be the master's")
    env.trap = None if env.system is None else build(env, env.system)
    return env.trap
