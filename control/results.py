"""Results in ARTIQ's HDF5 layout, written atomically.

``datasets/`` (what the run archived, with metadata as attributes), ``archive/`` (the
datasets it read from the database), ``expid`` (PYON), ``rid``, ``start_time`` (Unix time of the
build) and ``run_time`` (Unix time the run stage began), as ARTIQ's worker writes them, ``artiq_version`` when ARTIQ ran it, and ``control_version``. A run that
failed or was interrupted is written too, with ``completed = False`` and its ``error``.

The file is written under a temporary name in the same folder and renamed into place, so
a crash never leaves a half-written file where a reader would look.
"""
import logging
import os
import tempfile
import time

import h5py
import numpy as np

from control import pyon

logger = logging.getLogger(__name__)

__all__ = ["results_path", "write_results", "next_rid", "project_version", "figure_path"]


def project_version():
    try:
        from importlib.metadata import version
        return version("ion-control")
    except Exception:
        return "unknown"


def results_path(results_dir, rid, class_name, start_time):
    """``results/YYYY-MM-DD/HH/<rid:09>-<Class>.h5``, as ARTIQ's master lays them out."""
    t = time.localtime(start_time)
    folder = os.path.join(results_dir, time.strftime("%Y-%m-%d", t), time.strftime("%H", t))
    return os.path.join(folder, "{:09}-{}.h5".format(rid, class_name))


def next_rid(results_dir):
    """The next run id, kept in ``results/last_rid.pyon`` as ARTIQ's master keeps it."""
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, "last_rid.pyon")
    try:
        with open(path) as f:
            rid = int(f.read().strip()) + 1
    except (OSError, ValueError):
        rid = 0
    _atomic_write_text(path, str(rid))
    return rid


def _atomic_write_text(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _write_dataset(group, key, value, metadata):
    try:
        group[key] = value
    except (TypeError, ValueError) as exc:
        # Keep the run's other results: store what cannot go to HDF5 as its PYON text.
        logger.warning("dataset %r (%s) is not representable in HDF5 (%s); stored as text",
                       key, type(value).__name__, exc)
        group[key] = pyon.encode(value) if not isinstance(value, str) else value
        group[key].attrs["pyon"] = True
    for name, val in metadata.items():
        group[key].attrs[name] = val


def write_results(path, dataset_mgr, expid, rid, start_time, run_time, *,
                  artiq_version=None, completed=True, error=None):
    """Write one run's results to ``path`` atomically; return ``path``."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".h5.tmp")
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            datasets = f.create_group("datasets")
            for key, value in dataset_mgr.local.items():
                _write_dataset(datasets, key, value, dataset_mgr.metadata.get(key, {}))
            archive = f.create_group("archive")
            for key, value in dataset_mgr.archive.items():
                _write_dataset(archive, key, value, {})
            if artiq_version is not None:
                f["artiq_version"] = artiq_version
            f["control_version"] = project_version()
            f["rid"] = rid
            f["start_time"] = float(start_time)
            f["run_time"] = float(run_time) if run_time is not None else float("nan")
            f["expid"] = pyon.encode(expid)
            f["completed"] = bool(completed)
            if error is not None:
                f["error"] = str(error)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_datasets(path):
    """``{name: value}`` of a results file's ``datasets/`` group (numpy arrays and
    scalars; text stays ``str``)."""
    out = {}
    with h5py.File(path, "r") as f:
        for key, ds in f["datasets"].items():
            value = ds[()]
            if isinstance(value, bytes):
                value = value.decode()
            out[key] = value if not isinstance(value, np.ndarray) or value.ndim else value.item()
    return out


def figure_path(scheduler, name):
    """Where an experiment saves figure ``name`` (e.g. ``"rabi.png"``): beside its
    results file, as ``<rid>-<name>``. Under ``control run`` that folder comes from the
    scheduler; under ARTIQ's master the worker already runs in it."""
    folder = getattr(scheduler, "results_folder", None) or os.getcwd()
    os.makedirs(folder, exist_ok=True)
    rid = getattr(scheduler, "rid", 0)
    return os.path.join(folder, "{:09}-{}".format(rid, name))
