"""Run an experiment file as ``artiq_run`` does: build, prepare, run, analyze, store.

``run_experiment`` builds the experiment with the managers of ``control.managers``
over a device database (rewritten for the simulator when ``sim=True``), runs its stages
and writes its results in ARTIQ's HDF5 layout under ``results/YYYY-MM-DD/HH/``. A stage
that raises, a Ctrl-C or a ``TerminationRequested`` still writes everything the run had,
marked ``completed = False`` with the error, and then the error propagates.
"""
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field

from control import lang
from control.device_db import check_device_db, load_device_db
from control.errors import DeviceError
from control.file_import import import_file
from control.managers import ArgumentManager, DatasetManager, DeviceManager
from control.results import (ResultsWriteError, next_rid, results_path, save_results,
                             use_fallback)
from control.virtual_devices import CCB, Scheduler

logger = logging.getLogger(__name__)

__all__ = ["ExperimentFileError", "get_experiment_class", "build_experiment",
           "run_experiment", "link_experiment", "Run"]


class ExperimentFileError(Exception):
    """A file that holds no experiment, or several and no class was named."""


def get_experiment_class(module, class_name=None, source="file"):
    """The experiment class of a module: ``class_name``, or the only public one."""
    experiments = {name: obj for name, obj in vars(module).items()
                   if lang.is_public_experiment(obj) and obj.__module__ == module.__name__}
    if class_name is not None:
        obj = getattr(module, class_name, None)
        if obj is None or not lang.is_experiment(obj):
            raise ExperimentFileError("{} has no experiment class {!r}; it has: {}".format(
                source, class_name, ", ".join(sorted(experiments)) or "none"))
        return obj
    if not experiments:
        raise ExperimentFileError("{} holds no experiment (no public subclass of "
                                  "EnvExperiment or Experiment)".format(source))
    if len(experiments) > 1:
        raise ExperimentFileError("{} holds several experiments ({}); name one".format(
            source, ", ".join(sorted(experiments))))
    return next(iter(experiments.values()))


@dataclass
class Run:
    """What a run built and produced."""
    experiment: object
    device_mgr: DeviceManager
    dataset_mgr: DatasetManager
    argument_mgr: ArgumentManager
    scheduler: Scheduler
    ccb: CCB
    expid: dict
    rid: int
    start_time: float
    run_time: float | None = None
    path: str | None = None
    completed: bool = False
    error: BaseException | None = None
    save_error: ResultsWriteError | None = None
    sim: object = field(default=None, repr=False)

    @property
    def datasets(self):
        """The datasets the run set for its results (archived), by name."""
        return self.dataset_mgr.local


def _sibling_sim_config(path):
    """``sim_config()`` of a ``sim.py`` beside a device database, if there is one: how a
    trap system tells the simulator its ion model and default calibrations."""
    sim_py = os.path.join(os.path.dirname(os.path.abspath(path)), "sim.py")
    if not os.path.isfile(sim_py):
        return {}
    module = import_file(sim_py, prefix="control_sim_config_")
    if not hasattr(module, "sim_config"):
        return {}
    try:
        return module.sim_config()
    except KeyError as exc:
        # The ion model names the crate's channels; one the database lacks is bad input.
        raise DeviceError("the ion model of {} needs a device that the device database "
                          "{} lacks: {}".format(sim_py, path, exc.args[0] if exc.args
                                                else exc)) from None


def _device_db(device_db, sim, sim_options):
    config = {}
    if isinstance(device_db, (str, os.PathLike)):
        source = str(device_db)
        ddb = load_device_db(device_db)
        if sim:
            config = _sibling_sim_config(device_db)
    else:
        source = "device database"
        ddb = check_device_db(device_db)
    if sim:
        from control import sim as sim_backend
        config.update(sim_options or {})
        ddb = sim_backend.enable(ddb, **config)
        source += " (simulated)"
    return ddb, source


def build_experiment(file, class_name=None, arguments=None, device_db="device_db.py",
                     *, sim=False, sim_options=None, dataset_db=None, rid=0,
                     on_broadcast=None, results_dir=None):
    """Import ``file`` and build its experiment; returns a :class:`Run` (not yet run)."""
    module = import_file(file)
    cls = get_experiment_class(module, class_name, source=str(file))
    ddb, source = _device_db(device_db, sim, sim_options)
    if sim:
        # The simulated crate's default calibrations, under any the caller gives.
        from control.sim import sim_datasets
        dataset_db = dict(sim_datasets(ddb), **(dataset_db or {}))
    arguments = dict(arguments or {})
    expid = {"file": os.path.abspath(file), "class_name": cls.__name__,
             "arguments": arguments, "log_level": logging.WARNING}
    start_time = time.time()
    scheduler = Scheduler(rid, expid)
    if results_dir is not None:
        # Where figures go, beside the HDF5 file (ARTIQ's worker runs in that folder).
        scheduler.results_folder = os.path.dirname(
            results_path(results_dir, rid, cls.__name__, start_time))
    else:
        # A run that writes no results keeps its figures out of the working folder too.
        scheduler.results_folder = os.path.join(tempfile.gettempdir(), "control-unsaved")
    ccb = CCB()
    device_mgr = DeviceManager(ddb, {"scheduler": scheduler, "ccb": ccb}, source)
    dataset_mgr = DatasetManager(dataset_db, on_broadcast)
    argument_mgr = ArgumentManager(arguments, cls.__name__)
    try:
        experiment = cls((device_mgr, dataset_mgr, argument_mgr, {}))
        argument_mgr.check_unprocessed_arguments()
    except BaseException:
        device_mgr.close_devices()
        raise
    sim_handle = None
    if sim:
        from control import sim as sim_backend
        sim_handle = sim_backend.current(device_mgr)
    return Run(experiment, device_mgr, dataset_mgr, argument_mgr, scheduler, ccb, expid,
               rid, start_time, sim=sim_handle)


def run_experiment(file, class_name=None, arguments=None, device_db="device_db.py", *,
                   sim=False, sim_options=None, dataset_db=None, results_dir="results",
                   write=True, on_broadcast=None, hdf5=None):
    """Build and run an experiment file; write its results (also when it fails).

    Results go to ``results_dir`` in the master's layout, or to the file ``hdf5`` when it
    is given (``artiq_run -o``: RID 0, figures beside the file).
    Returns the :class:`Run`; on failure the exception propagates with the run attached
    as ``exc.control_run`` (its ``path`` says where the partial results went). Results
    that cannot go where they belong go to a fallback folder; a run that succeeded then
    raises :class:`~control.results.ResultsWriteError` naming both (a failed run keeps
    its own error and carries that one as ``run.save_error``).
    """
    rid, unwritable = 0, None
    if hdf5 is not None:
        results_dir = os.path.dirname(os.path.abspath(hdf5))
        unwritable = _make_folder(results_dir)
    elif write:
        rid, unwritable = _allocate_rid(results_dir)
    run = build_experiment(file, class_name, arguments, device_db, sim=sim,
                           sim_options=sim_options, dataset_db=dataset_db, rid=rid,
                           on_broadcast=on_broadcast,
                           results_dir=results_dir if write else None)
    if hdf5 is not None:
        run.scheduler.results_folder = results_dir  # figures beside the file
    try:
        if unwritable is not None:
            # Said before the run starts, so the user can stop it; no file of this run
            # (RID 0, not its own) may land in the results tree.
            use_fallback(run.scheduler, results_dir, unwritable)
        run.experiment.prepare()
        run.run_time = time.time()
        run.experiment.run()
        run.device_mgr.notify_run_end()
        run.experiment.analyze()
        run.completed = True
    except BaseException as exc:  # Ctrl-C and TerminationRequested included
        run.error = exc
        exc.control_run = run
        raise
    finally:
        run.device_mgr.close_devices()
        if write:
            _save(run, hdf5, results_dir)
    if run.save_error is not None:
        # The experiment succeeded but its results are not where they belong: a failure.
        run.save_error.control_run = run
        raise run.save_error
    return run


def _allocate_rid(results_dir):
    """``(rid, None)``, or ``(0, OSError)`` when the results folder cannot be written:
    the run still runs, and its files go to a fallback folder."""
    try:
        return next_rid(results_dir), None
    except OSError as exc:
        return 0, exc


def _make_folder(folder):
    """None, or the ``OSError`` that kept ``folder`` from being made."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        return exc
    return None


def _save(run, hdf5, results_dir):
    """Write the run's results (to a fallback folder if need be); never raises for a
    write that failed, so an experiment's own error stays the one that propagates."""
    path = hdf5 if hdf5 is not None else results_path(
        results_dir, run.rid, type(run.experiment).__name__, run.start_time)
    error = None if run.error is None else "{}: {}".format(
        type(run.error).__name__, run.error)
    run.path, run.save_error = save_results(
        path, run.scheduler, run.dataset_mgr, run.expid, run.rid, run.start_time,
        run.run_time, artiq_version=_artiq_version(), completed=run.completed, error=error,
        replace=hdf5 is not None)
    if run.save_error is None:
        logger.info("results written to %s", run.path)


def _kernel_reach(run):
    """Per entry kernel (a kernel ``run`` of the experiment or of one of its fragments):
    the kernel functions, modules and devices it reaches."""
    from control.link import reach
    from control.modules import Module
    device_names = {id(dev): name for name in run.device_mgr.ddb
                    for desc, dev in run.device_mgr.active_devices
                    if desc is run.device_mgr.ddb.get(name)}
    out = []
    stack = [run.experiment]
    while stack:
        env = stack.pop(0)
        stack.extend(getattr(env, "children", []))
        if isinstance(env, Module):
            continue
        method = getattr(type(env), "run", None)
        if method is None or not lang.is_kernel(method):
            continue
        r = reach(env, "run")
        out.append({
            "kernel": "{}.run".format(type(env).__qualname__),
            "functions": r.functions,
            "modules": sorted(set(r.modules())),
            "devices": sorted({device_names[id(o)] for o in r.objects.values()
                               if id(o) in device_names}),
            "invariants": {k: sorted(v) for k, v in sorted(r.invariants.items())},
        })
    return out


def _artiq_version():
    if not lang.ARTIQ:
        return None
    try:  # pragma: no cover - ARTIQ environments only
        from importlib.metadata import version
        return version("artiq")
    except Exception:  # pragma: no cover
        return "unknown"


def link_experiment(file, class_name=None, arguments=None, device_db="device_db.py", *,
                    sim=False, sim_options=None, dataset_db=None):
    """Build and prepare an experiment (no run) and report, per system, the modules and
    devices it built with their kernel invariants, and the declared modules it did not
    build."""
    from control.modules import System
    run = build_experiment(file, class_name, arguments, device_db, sim=sim,
                           sim_options=sim_options, dataset_db=dataset_db)
    try:
        run.experiment.prepare()
        systems = []
        stack = [run.experiment]
        while stack:
            env = stack.pop(0)
            if isinstance(env, System):
                systems.append(env.link_report())
            stack.extend(getattr(env, "children", []))
        devices = sorted(
            name for name in run.device_mgr.ddb
            if any(desc is run.device_mgr.ddb.get(name)
                   for desc, _ in run.device_mgr.active_devices))
        return {"experiment": type(run.experiment).__name__, "systems": systems,
                "devices_built": devices,
                "experiment_invariants": sorted(getattr(run.experiment,
                                                        "kernel_invariants", ())),
                "kernels": _kernel_reach(run)}
    finally:
        run.device_mgr.close_devices()
