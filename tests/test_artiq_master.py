"""The project's experiments under a real ``artiq_master``, one per trap (issue 14).

Each trap gets a master in a folder of its own: the repository is ``experiments/``, the
device database the trap's simulated twin (``drivers/systems/<trap>/device_db_sim.py``),
the dataset database a fresh LMDB file with the trap's starting calibrations, and four
private loopback ports. Checked as a dashboard user sees it:

1. the repository scan lists every experiment class of ``experiments/*.py`` (found with
   ``ast``, so a new one is covered) with every argument it requests, each with a default;
2. RB and Rabi submitted with ``artiq_client submit`` run to completion and leave their
   datasets, ``expid``, ``rid``, ``start_time`` and ``run_time`` in
   ``results/DATE/HOUR/RID-Class.h5``;
3. RB's live datasets (``rb.progress``, ``rb.survival``) are broadcast while it runs;
4. the calibration experiment (``experiments/calibrate.py``): listed with its arguments on
   both traps, and run by a master of its own on the ca40 twin (node "detection",
   forced, about a thousand shots, repeating every hour), after which the master's
   dataset DB holds the new threshold, its provenance and the node's graph state, the
   master's log the summary table the run printed, and its schedule the next run.

Skips without ARTIQ (``artiq_master`` and ``artiq_client`` on PATH).
"""
import glob
import math
import os
import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.artiq

pytest.importorskip("artiq")
pytest.importorskip("sipyco")
h5py = pytest.importorskip("h5py")
for _tool in ("artiq_master", "artiq_client"):
    if shutil.which(_tool) is None:
        pytest.skip("{} is not on PATH".format(_tool), allow_module_level=True)

import artiqlab  # noqa: E402  (tests/artiqlab.py)
from sipyco import pyon  # noqa: E402
from drivers import systems  # noqa: E402

EXPERIMENTS = os.path.join(artiqlab.ROOT, "experiments")

RB_LENGTHS = [1, 5, 10, 20]
RB_ARGUMENTS = {"n_qubits": 1, "lengths": RB_LENGTHS, "samples": 2, "shots": 5}
RABI_SCAN = {"ty": "RangeScan", "start": 0.0, "stop": 20e-6, "npoints": 5,
             "randomize": False, "seed": None}
RABI_ARGUMENTS = {"durations": RABI_SCAN, "shots": 5}
RUN_TIMEOUT = 120  # s for one experiment on the simulator (a few s when all is well)


def expected_experiments():
    """``{class name: (file, [argument names])}`` of every public experiment in
    ``experiments/*.py``, read from the source."""
    out = {}
    for path in sorted(glob.glob(os.path.join(EXPERIMENTS, "*.py"))):
        for cls, arguments in artiqlab.experiment_arguments(path).items():
            out[cls] = (os.path.basename(path), arguments)
    return out


@pytest.fixture(scope="module", params=systems.names())
def master(request, tmp_path_factory):
    """A running ``artiq_master`` for one trap, its repository scan finished, with a
    :class:`artiqlab.Notifications` on ``explist``, ``explist_status``, ``schedule``
    and ``datasets`` (``master.notes``) and a :class:`artiqlab.Schedule`
    (``master.schedule``)."""
    trap = request.param
    folder = tmp_path_factory.mktemp("master_" + trap)
    dataset_db = artiqlab.write_calibrations(trap, folder / "dataset_db.mdb")
    device_db = os.path.join(os.path.dirname(systems.device_db_path(trap)),
                             "device_db_sim.py")
    m = artiqlab.Master(folder, EXPERIMENTS, device_db, dataset_db)
    m.trap = trap
    failed_before = request.session.testsfailed
    m.start()
    try:
        m.notes = m.notifications(["explist_status", "explist", "schedule", "datasets"])
        try:
            m.schedule = artiqlab.Schedule(m.notes)
            # The scan starts before the master serves its ports: wait for its end.
            m.notes.wait(lambda s: s["explist_status"]["scanning"] is False, 120,
                         "the master's repository scan")
            yield m
        finally:
            m.notes.close()
    finally:
        status = m.stop()
        if request.session.testsfailed > failed_before or status not in (0, None):
            _report(request, "artiq_master for {} (exit status {})\n{}".format(
                trap, status, m.log_tail(400)))


def _report(request, text):
    """Print ``text`` on the terminal, past pytest's capture: a CI reader sees the
    master's log when a test on it failed."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is None:
        return
    if capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + text)
    else:
        reporter.write_line("\n" + text)


def _run(master, file, class_name, arguments, history_prefixes=()):
    """Submit one experiment of the repository with ``artiq_client``, wait for its RID
    to leave the schedule; ``(rid, HDF5 path, statuses, broadcast history)``."""
    history = artiqlab.DatasetHistory(master.notes, history_prefixes)
    try:
        rid = master.submit(file, class_name, arguments)
        statuses = master.schedule.wait_done(rid, RUN_TIMEOUT)
        values = history.values()
    finally:
        history.close()
    failure = master.worker_failure(rid)
    assert failure is None and "analyzing" in statuses, (
        "RID {} ({} on {}) did not complete: {} (statuses {})\n{}".format(
            rid, class_name, master.trap, failure or "it never reached analyze",
            statuses, master.log_tail()))
    path = master.result_file(rid)
    assert path is not None, (
        "RID {} ({} on {}) completed without a results file under {}/results\n{}".format(
            rid, class_name, master.trap, master.folder, master.log_tail()))
    return rid, path, statuses, values


def _read(path):
    with h5py.File(path, "r") as f:
        datasets = {k: f["datasets"][k][()] for k in f["datasets"]}
        top = {k: f[k][()] for k in ("rid", "start_time", "run_time", "expid",
                                     "artiq_version") if k in f}
    return datasets, top


def _check_metadata(top, rid, class_name, file, arguments, path):
    missing = {"rid", "start_time", "run_time", "expid"} - set(top)
    assert not missing, "{} lacks {}".format(path, sorted(missing))
    assert int(top["rid"]) == rid
    expid = pyon.decode(top["expid"].decode())
    assert expid["class_name"] == class_name and expid["file"] == file, expid
    assert expid["arguments"] == arguments, expid
    assert 0 < float(top["start_time"]) <= float(top["run_time"]), top


@pytest.fixture(scope="module")
def rb_run(master):
    """RB on the trap through the master, with every broadcast of ``rb.*`` recorded."""
    # PYONValue arguments travel as PYON text, as the dashboard sends them.
    arguments = dict(RB_ARGUMENTS, system=master.trap, lengths=pyon.encode(RB_LENGTHS))
    rid, path, statuses, history = _run(master, "rb.py", "RB", arguments,
                                        history_prefixes=["rb."])
    return rid, path, arguments, history


# --- 1. the repository scan --------------------------------------------------------


def test_scan_lists_every_experiment_with_its_arguments(master):
    expected = expected_experiments()
    assert expected, "no experiment class found in {}".format(EXPERIMENTS)
    explist = master.notes.snapshot("explist")
    listed = {entry["class_name"]: entry for entry in explist.values()}
    missing = sorted(set(expected) - set(listed))
    assert not missing, (
        "the master ({}) lists {} of the {} experiments of experiments/*.py; missing: {}."
        "\nIts repository scan said:\n{}".format(
            master.trap, sorted(set(listed) & set(expected)) or "none", len(expected),
            ", ".join(missing),
            "\n".join(master.skipped_files()) or "(no 'Skipping file' in its log)\n" +
            master.log_tail()))
    problems = []
    for cls, (file, arguments) in sorted(expected.items()):
        entry = listed[cls]
        if entry["file"] != file:
            problems.append("{}: listed from {}, defined in {}".format(
                cls, entry["file"], file))
        arginfo = entry["arginfo"]  # name -> (procdesc, group, tooltip)
        if set(arginfo) != set(arguments):
            problems.append("{}: the master lists arguments {}, the source requests {}"
                            " (missing {}, unexpected {})".format(
                                cls, list(arginfo), arguments,
                                sorted(set(arguments) - set(arginfo)),
                                sorted(set(arginfo) - set(arguments))))
        for name, (procdesc, _group, _tooltip) in arginfo.items():
            if "default" not in procdesc:
                problems.append("{}: argument {!r} has no default ({})".format(
                    cls, name, procdesc))
        if "system" in arginfo:
            choices = arginfo["system"][0].get("choices")
            if sorted(choices or []) != systems.names():
                problems.append("{}: 'system' offers {}, the installed traps are {}"
                                .format(cls, choices, systems.names()))
    assert not problems, "\n".join(problems)


def test_control_list_shows_what_the_master_lists(master):
    """``control list`` (the project's examine) and the master's scan agree on every
    experiment's name, file, class and argument descriptions, groups and tooltips."""
    from control.examine import examine_path, to_json
    ours = {}
    for f in to_json(examine_path(EXPERIMENTS)):
        for e in f["experiments"]:
            ours[e["name"]] = (f["file"], e["class_name"], {
                k: (a["description"], a["group"], a["tooltip"])
                for k, a in e["arguments"].items()})
    theirs = {name: (entry["file"], entry["class_name"], {
        k: (desc, group, tooltip) for k, (desc, group, tooltip) in entry["arginfo"].items()})
        for name, entry in master.notes.snapshot("explist").items()}
    assert ours == theirs


# --- 2. experiments run to completion ----------------------------------------------


def test_rb_completes_with_results(master, rb_run):
    rid, path, arguments, _ = rb_run
    datasets, top = _read(path)
    _check_metadata(top, rid, "RB", "rb.py", arguments, path)
    n = len(RB_LENGTHS) * RB_ARGUMENTS["samples"]
    survival = np.asarray(datasets.get("rb.survival"))
    assert survival.shape == (n,), "rb.survival: {!r}, expected {} values".format(
        survival, n)
    assert np.all((survival >= 0) & (survival <= 1)), survival
    assert int(datasets["rb.progress"]) == n
    fit = {k: v for k, v in datasets.items() if k.startswith("rb.fit.")}
    assert {"rb.fit.p", "rb.fit.epc"} <= set(fit), sorted(datasets)
    assert 0 < float(fit["rb.fit.p"]) <= 1, fit
    # so few shots rarely resolve the decay: then the fit says so and bounds the EPC
    if bool(datasets["rb.fit.resolved"]):
        assert math.isfinite(float(fit["rb.fit.epc"])), fit
    else:
        assert 0 < float(datasets["rb.fit.epc_upper_95"]) < 1, fit
    # The calibrations the trap read came from the master's dataset DB.
    with h5py.File(path, "r") as f:
        archived = set(f["archive"])
    assert archived and all(k.startswith(master.trap + ".") for k in archived), archived


def test_rabi_completes_with_results(master):
    arguments = dict(RABI_ARGUMENTS, system=master.trap)
    rid, path, _, _ = _run(master, "rabi.py", "Rabi", arguments)
    datasets, top = _read(path)
    _check_metadata(top, rid, "Rabi", "rabi.py", arguments, path)
    p1 = np.asarray(datasets.get("rabi.p1_final"))
    npoints = RABI_SCAN["npoints"]
    assert p1.shape == (npoints,), "rabi.p1_final: {!r}".format(p1)
    assert np.all((p1 >= 0) & (p1 <= 1)), p1
    assert np.asarray(datasets["rabi.durations"]).shape == (npoints,)
    assert "rabi.fit.f" in datasets, sorted(datasets)


# --- 3. live datasets ----------------------------------------------------------------


def test_rb_broadcasts_live_datasets(master, rb_run):
    _, _, _, history = rb_run
    n = len(RB_LENGTHS) * RB_ARGUMENTS["samples"]
    progress = [int(v) for v in history.get("rb.progress", [])]
    assert progress and progress[-1] == n, (
        "rb.progress broadcast {} (expected to end at {})".format(progress, n))
    intermediate = [v for v in progress if 0 < v < n]
    assert intermediate, "rb.progress was broadcast only as {}: no value while the run " \
        "was under way".format(progress)
    survival = [np.asarray(v, dtype=float) for v in history.get("rb.survival", [])]
    assert survival, "rb.survival was never broadcast (broadcast: {})".format(
        sorted(history))
    partial = [s for s in survival if np.isnan(s).any() and not np.isnan(s).all()]
    assert partial, ("rb.survival was never seen partly filled: {} broadcasts, NaN "
                     "counts {}".format(len(survival),
                                        [int(np.isnan(s).sum()) for s in survival]))
    assert not np.isnan(survival[-1]).any(), survival[-1]


# --- 4. the calibration experiment -----------------------------------------------------

CALIBRATE_TRAP = "ca40"
CALIBRATE_NODE = "detection"
#: Forced, so the node measures and writes (a fresh DB's threshold would only be
#: checked, in spec); "detection" alone is its histograms: about a thousand shots. Every
#: hour (in s, as the dashboard sends it): the run resubmits itself, due long after the
#: test.
CALIBRATE_REPEAT = 3600.0
CALIBRATE_ARGUMENTS = {"system": CALIBRATE_TRAP, "node": CALIBRATE_NODE, "force": True,
                       "repeat_every": CALIBRATE_REPEAT}


def test_scan_lists_calibrate_with_its_arguments(master):
    """What the dashboard offers for ``Calibrate``: the trap, a node among the graph's
    (or all), force, and the resubmission interval; each with the default a plain
    Submit runs (the whole graph, once, not forced)."""
    from kernels.calibration.graph import node_names
    listed = {entry["class_name"]: entry for entry in
              master.notes.snapshot("explist").values()}
    assert "Calibrate" in listed, (
        "the master ({}) does not list Calibrate; its repository scan said:\n{}".format(
            master.trap, "\n".join(master.skipped_files()) or master.log_tail()))
    entry = listed["Calibrate"]
    assert entry["file"] == "calibrate.py", entry
    arginfo = entry["arginfo"]
    assert list(arginfo) == ["system", "node", "force", "repeat_every"], list(arginfo)
    system, node, force, repeat = (arginfo[k][0] for k in arginfo)
    assert system["ty"] == "EnumerationValue" and \
        sorted(system["choices"]) == systems.names(), system
    assert node["ty"] == "EnumerationValue", node
    assert node["choices"] == ["all"] + node_names() and node["default"] == "all", node
    assert force == {"ty": "BooleanValue", "default": False}, force
    assert repeat["ty"] == "NumberValue" and repeat["default"] == 0, repeat
    assert repeat["unit"] == "min" and repeat["scale"] == 60 and repeat["min"] == 0, repeat
    assert {arginfo[k][1] for k in ("node", "force", "repeat_every")} == {"Calibration"}


@pytest.fixture(scope="module")
def calibrate_run(request, tmp_path_factory):
    """``Calibrate`` (``CALIBRATE_ARGUMENTS``) submitted to a master of its own on the
    ca40 twin, its dataset DB as ``control calibrations --from sim`` writes it; the master
    is stopped after the run, so that it saves its datasets. A namespace: ``master``,
    ``rid``, ``statuses``, ``path`` (HDF5), ``broadcast`` (the ``datasets`` notifier
    when the run was done: key -> (persist, value, metadata)), ``schedule`` (the
    ``schedule`` notifier then), ``db`` (what the dataset DB file holds after the master
    stopped: key -> value) and ``log``."""
    from types import SimpleNamespace
    folder = tmp_path_factory.mktemp("master_calibrate")
    dataset_db = artiqlab.write_calibrations(CALIBRATE_TRAP, folder / "dataset_db.mdb")
    device_db = os.path.join(os.path.dirname(systems.device_db_path(CALIBRATE_TRAP)),
                             "device_db_sim.py")
    m = artiqlab.Master(folder, EXPERIMENTS, device_db, dataset_db)
    m.trap = CALIBRATE_TRAP
    failed_before = request.session.testsfailed
    status = None
    m.start()
    try:
        with m.notifications(["explist_status", "schedule", "datasets"]) as notes:
            m.notes = notes
            m.schedule = artiqlab.Schedule(notes)
            notes.wait(lambda s: s["explist_status"]["scanning"] is False, 120,
                       "the master's repository scan")
            rid, path, statuses, _ = _run(m, "calibrate.py", "Calibrate",
                                          CALIBRATE_ARGUMENTS)
            broadcast = notes.snapshot("datasets")
            schedule = notes.snapshot("schedule")
        status = m.stop()
        assert status == 0, "artiq_master exited with status {}\n{}".format(
            status, m.log_tail())
        yield SimpleNamespace(master=m, rid=rid, statuses=statuses, path=path,
                              broadcast=broadcast, schedule=schedule,
                              db=_read_dataset_db(dataset_db), log=m.log())
    finally:
        status = m.stop() if status is None else status
        if request.session.testsfailed > failed_before or status not in (0, None):
            _report(request, "artiq_master for Calibrate on {} (exit status {})\n{}".format(
                CALIBRATE_TRAP, status, m.log_tail(400)))


def _read_dataset_db(path):
    """Every dataset of an LMDB dataset DB, read with ARTIQ's own ``DatasetDB`` (the
    master that wrote it stopped)."""
    from artiq.master.databases import DatasetDB
    db = DatasetDB(str(path))
    try:
        return {key: db.get(key) for key in db.data.raw_view}
    finally:
        db.close_db()


def test_calibrate_runs_under_the_master(calibrate_run):
    run = calibrate_run
    datasets, top = _read(run.path)
    _check_metadata(top, run.rid, "Calibrate", "calibrate.py", CALIBRATE_ARGUMENTS,
                    run.path)
    key = "{}.{}.threshold".format(CALIBRATE_TRAP, CALIBRATE_NODE)
    # the new threshold is in the run's results, as measured
    assert key in datasets, sorted(datasets)
    report = [line.decode() if isinstance(line, bytes) else str(line)
              for line in datasets["calibration.report"]]
    assert any(line.startswith("total") and " ok" in line for line in report), report


def test_calibrate_persists_into_the_masters_dataset_db(calibrate_run):
    """The node's value, its provenance and its graph state are persistent datasets of
    the master (so the next run, and the next master, start from them)."""
    run = calibrate_run
    threshold = "{}.{}.threshold".format(CALIBRATE_TRAP, CALIBRATE_NODE)
    provenance = threshold + ".provenance"
    state = "calgraph." + CALIBRATE_NODE
    for key in (threshold, provenance, state):
        assert key in run.broadcast, "the master never had {} (it has {})".format(
            key, sorted(run.broadcast))
        assert run.broadcast[key][0] is True, "{} is not persistent: {}".format(
            key, run.broadcast[key])
        assert key in run.db, "{} is not in the master's dataset DB after it stopped " \
            "(the DB holds {})".format(key, sorted(run.db))
        assert run.db[key] == run.broadcast[key][1], (key, run.db[key],
                                                       run.broadcast[key])
    prov, graph = run.db[provenance], run.db[state]
    assert prov["node"] == CALIBRATE_NODE and prov["rid"] == run.rid, prov
    assert prov["shots"] > 0 and prov["uncertainty"] >= 0, prov
    assert graph["rid"] == run.rid and graph["calibrated"] is not None, graph
    assert graph["values"] == {threshold: run.db[threshold]}, (graph, run.db[threshold])
    # what was calibrated is what the run archived
    datasets, _ = _read(run.path)
    assert datasets[threshold] == run.db[threshold], (datasets[threshold], run.db[threshold])


def test_calibrate_prints_its_summary_in_the_masters_log(calibrate_run):
    """Each line of the summary table (``calibration.report``) is a ``print:`` line of
    the run's worker in the master's log, as a dashboard's log dock shows it."""
    run = calibrate_run
    report = run.broadcast["calibration.report"][1]
    printed = [line.split(":print:", 1)[1] for line in run.log.splitlines()
               if "worker({},calibrate.py):print:".format(run.rid) in line]
    missing = [line for line in report if line not in printed]
    assert report and not missing, (
        "the master's log lacks the summary lines {}; its print: lines:\n{}".format(
            missing, "\n".join(printed)))
    row = [line for line in report if line.split()[:1] == [CALIBRATE_NODE]]
    assert len(row) == 1 and "calibrated" in row[0].split(), report
    # and nothing else to say: no warning or error of the run's worker
    noise = [line for line in run.log.splitlines()
             if "worker({},calibrate.py)".format(run.rid) in line and
             line.startswith(("WARNING", "ERROR", "CRITICAL"))]
    assert not noise, "\n".join(noise[:20])


def test_calibrate_resubmits_itself(calibrate_run):
    """With "repeat every", the run put its next run in the master's schedule: the same
    experiment and arguments, due that long after this one started."""
    run = calibrate_run
    _, top = _read(run.path)
    later = {rid: info for rid, info in run.schedule.items() if rid != run.rid}
    assert len(later) == 1, "the schedule after the run: {}".format(run.schedule)
    (rid, info), = later.items()
    assert rid > run.rid and info["status"] == "pending", (rid, info)
    expid = info["expid"]
    assert (expid["file"], expid["class_name"]) == ("calibrate.py", "Calibrate"), expid
    assert expid["arguments"] == CALIBRATE_ARGUMENTS, expid
    due = info["due_date"] - float(top["start_time"])
    assert abs(due - CALIBRATE_REPEAT) < 60, "due {} s after the run started".format(due)
