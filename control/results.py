"""Results in ARTIQ's HDF5 layout, written atomically.

``datasets/`` (what the run archived, with metadata as attributes), ``archive/`` (the
datasets it read from the database), ``expid`` (PYON), ``rid``, ``start_time`` (Unix time of the
build) and ``run_time`` (Unix time the run stage began), as ARTIQ's worker writes them,
``artiq_version`` when ARTIQ ran it, and ``control_version``. A run that
failed or was interrupted is written too, with ``completed = False`` and its ``error``.

The file is written under a temporary name in the same folder and moved into place, so
a crash never leaves a half-written file where a reader would look; it is created with the
permissions the umask allows, as any program's files are. Run ids come from
``last_rid.pyon`` under a lock, so concurrent runs each get their own. When the results
folder cannot be written, the run's files go to a fallback folder of their own
(:func:`fallback_folder`) and the caller gets a :class:`ResultsWriteError` naming both.
"""
import contextlib
import errno
import logging
import os
import secrets
import tempfile
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux; the exclusive publish still guards
    fcntl = None  # type: ignore[assignment]

import h5py
import numpy as np

from control import pyon

logger = logging.getLogger(__name__)

__all__ = ["results_path", "write_results", "next_rid", "project_version", "figure_path",
           "save_results", "fallback_folder", "use_fallback", "ResultsWriteError"]


class ResultsWriteError(Exception):
    """A run's results could not be written where they belong. ``saved`` is where they
    went instead (None: nowhere could be written)."""

    def __init__(self, intended, reason, saved, fallback_reason=None):
        self.intended, self.reason, self.saved = intended, reason, saved
        if saved is not None:
            text = "results could not be written to {} ({}); saved to {} instead".format(
                intended, reason, saved)
        else:
            text = ("results could not be written to {} ({}), nor to a fallback folder "
                    "({}): this run's data is lost".format(intended, reason,
                                                          fallback_reason))
        super().__init__(text)


def project_version():
    """The installed version of ``ion-control``, or "unknown" when it is not installed."""
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
    """The next run id, kept in ``results/last_rid.pyon`` as ARTIQ's master keeps it.

    Read and written under an exclusive lock, so concurrent runs each get their own id.
    Raises ``OSError`` when the folder cannot be written."""
    _makedirs(results_dir)
    path = os.path.join(results_dir, "last_rid.pyon")
    with _locked(path + ".lock"):
        rid = _last_rid(path, results_dir) + 1
        _atomic_write_text(path, "{}\n".format(rid))
    return rid


@contextlib.contextmanager
def _locked(lock_path):
    """Hold an exclusive ``flock`` on ``lock_path``. A file of its own, because
    ``last_rid.pyon`` is replaced by a rename and a lock on it would stay on the old file."""
    # Read-only suffices for flock, so accounts that cannot write the lock file still lock.
    fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _last_rid(path, results_dir):
    """The last run id from ``last_rid.pyon``; when that is missing or unreadable, the
    highest id in the results tree (as the master recovers), so no id is handed out twice."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return _last_rid_from_results(results_dir)


def _last_rid_from_results(results_dir):
    last = -1
    for day in _listdir(results_dir):
        for hour in _listdir(os.path.join(results_dir, day)):
            for name in _listdir(os.path.join(results_dir, day, hour)):
                head = name.split("-", 1)[0]
                if name.endswith(".h5") and head.isdigit():
                    last = max(last, int(head))
    return last


def _listdir(folder):
    try:
        return os.listdir(folder)
    except OSError:  # not a folder, or unreadable: holds no results
        return []


def _atomic_write_text(path, text):
    tmp = _temporary_name(path)
    # Created by open(), not mkstemp (always 0600): the umask decides who may read it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _temporary_name(path):
    """A name beside ``path`` no other process picks: same folder, so the final rename
    stays on one filesystem and is atomic."""
    return "{}.{}.tmp".format(path, secrets.token_hex(6))


def _remove(path):
    with contextlib.suppress(OSError):
        os.unlink(path)


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
                  artiq_version=None, completed=True, error=None, replace=False):
    """Write one run's results to ``path`` atomically; return ``path``.

    Never replaces an existing file (``FileExistsError``) unless ``replace`` (a file the
    user named, as ``artiq_run -o``): a run id used twice must not cost the earlier run
    its results."""
    _makedirs(os.path.dirname(path) or ".")
    tmp = _temporary_name(path)
    try:
        # h5py creates the file with open(O_CREAT, 0666): the umask sets its permissions.
        with h5py.File(tmp, "x") as f:
            _fill(f, dataset_mgr, expid, rid, start_time, run_time,
                  artiq_version=artiq_version, completed=completed, error=error)
        _fsync(tmp)
        if replace:
            os.replace(tmp, path)
        else:
            _publish(tmp, path)
    except BaseException:
        _remove(tmp)
        raise
    return path


def _fill(f, dataset_mgr, expid, rid, start_time, run_time, *, artiq_version, completed,
          error):
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


def _fsync(path):
    """On disk before it gets its name, so a power cut cannot leave an empty results file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp, path):
    """Give the finished file its name atomically, refusing to replace one already there
    (``os.replace`` would overwrite it). A hard link does both."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "another run's file has this name", path) from None
    except OSError:
        # A filesystem without hard links: check, then rename (no longer atomic).
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "another run's file has this name",
                                  path) from None
        os.rename(tmp, path)
        return
    os.unlink(tmp)


def save_results(path, scheduler, dataset_mgr, expid, rid, start_time, run_time, **kwargs):
    """Write the results to ``path`` or, when that fails, to the run's fallback folder.

    Returns ``(path written or None, ResultsWriteError or None)`` rather than raising, so
    the caller can keep an experiment's own error the one that propagates."""
    fallback = getattr(scheduler, "results_fallback", None)
    if fallback is None:
        try:
            return write_results(path, dataset_mgr, expid, rid, start_time, run_time,
                                 **kwargs), None
        except OSError as exc:
            try:
                fallback = _fall_back(scheduler, path, exc)
            except ResultsWriteError as lost:
                return None, lost
    # The figures, if any, are already in the fallback folder: keep the run together.
    saved = os.path.join(fallback.folder, os.path.basename(path))
    try:
        write_results(saved, dataset_mgr, expid, rid, start_time, run_time, **kwargs)
    except OSError as exc:
        return None, ResultsWriteError(fallback.intended, fallback.reason, None,
                                       _reason(exc))
    return saved, ResultsWriteError(fallback.intended, fallback.reason, saved)


class _Fallback:
    """Where a run's files went instead of ``intended``, and why."""

    def __init__(self, intended, reason, folder):
        self.intended, self.reason, self.folder = intended, reason, folder


def use_fallback(scheduler, intended, exc):
    """Send the rest of this run's files (figures, HDF5) to a fallback folder of its own,
    recorded on the scheduler, and say so now (the run is not over); returns the record.
    Raises :class:`ResultsWriteError` when no fallback folder can be made either."""
    if getattr(scheduler, "results_fallback", None) is not None:
        return scheduler.results_fallback
    fallback = _fall_back(scheduler, intended, exc)
    logger.error("results cannot be written to %s (%s); this run's files go to %s",
                 intended, fallback.reason, fallback.folder)
    return fallback


def _fall_back(scheduler, intended, exc):
    rid = getattr(scheduler, "rid", 0)
    class_name = (getattr(scheduler, "expid", None) or {}).get("class_name", "run")
    try:
        folder = fallback_folder("{:09}-{}".format(rid, class_name))
    except OSError as lost:
        raise ResultsWriteError(intended, _reason(exc), None, _reason(lost)) from exc
    fallback = _Fallback(intended, _reason(exc), folder)
    scheduler.results_fallback = fallback
    scheduler.results_folder = folder
    return fallback


def fallback_folder(label):
    """A new folder, of this run alone, for files that could not be written where they
    belong: under ``$XDG_DATA_HOME/ion-control/unsaved-results`` (kept across reboots,
    unlike the temp dir), else under the system temp dir (often another disk, when the
    first is full). Raises ``OSError`` naming why neither worked."""
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share")
    candidates = [(os.path.join(data_home, "ion-control", "unsaved-results"), ""),
                  (tempfile.gettempdir(), "ion-control-unsaved-")]
    reasons = []
    for base, prefix in candidates:
        try:
            _makedirs(base)
            # mkdtemp: a unique name, made by this user alone (safe in a shared temp dir).
            return tempfile.mkdtemp(prefix="{}{}-".format(prefix, label), dir=base)
        except OSError as exc:
            reasons.append("{}: {}".format(base, _reason(exc)))
    raise OSError("; ".join(reasons))


def _makedirs(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError as exc:
        # makedirs's "File exists" for a file standing where the folder should be.
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way", folder) from exc


def _reason(exc):
    """An OSError's cause in a few words ("Permission denied: /r/2024-01-01/13")."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror + (": {}".format(exc.filename) if exc.filename else "")
    return str(exc)


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
    scheduler; under ARTIQ's master the worker already runs in it. When that folder
    cannot be written, the run's fallback folder (:func:`use_fallback`)."""
    folder = getattr(scheduler, "results_folder", None) or os.getcwd()
    try:
        _writable_folder(folder)
    except OSError as exc:
        folder = use_fallback(scheduler, folder, exc).folder
    rid = getattr(scheduler, "rid", 0)
    return os.path.join(folder, "{:09}-{}".format(rid, name))


def _writable_folder(folder):
    """Make ``folder`` if needed; raise ``OSError`` if this process cannot write into it
    (a cheap check: a full disk shows only when the figure is saved)."""
    _makedirs(folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), folder)
