"""The calibration graph (control/calgraph.py) with fake nodes, a fake clock and the
in-memory store: what maintain checks, calibrates, diagnoses, refuses and writes."""
import copy
import math

import numpy as np
import pytest

from control.calgraph import (
    BAD_DATA, BLOCKED, CALIBRATED, ERROR, FRESH, IN_SPEC, OUT_OF_SPEC, REFUSED,
    PROVENANCE_SUFFIX, STATE_PREFIX, Calibrated, CalibrationRefused, CheckResult,
    CycleError, EnvironmentStore, Graph, GraphError, Maintainer, MemoryStore, Node,
    NodeState, Refusal)


class Clock:
    def __init__(self, t=10_000.0):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, seconds):
        self.t += seconds


class Fake(Node):
    """A node that logs its calls, takes simulated time, answers its checks from a script
    (in spec once the script is used up) and calibrates to ``value`` + 1 each time, or
    refuses when ``refuse`` is set."""

    def __init__(self, name, clock, log, *, depends_on=(), timeout=100.0, value=1.0):
        super().__init__(name, depends_on=depends_on, timeout=timeout)
        self.clock, self.log = clock, log
        self.script = []
        self.value = value
        self.refuse = None
        self.seen = []

    def check(self, values):
        self.log.append((self.name, "check"))
        self.seen.append(dict(values))
        self.clock.advance(1)
        state = self.script.pop(0) if self.script else IN_SPEC
        return CheckResult(state, shots=10)

    def calibrate(self, values):
        self.log.append((self.name, "calibrate"))
        self.clock.advance(10)
        if self.refuse:
            return Refusal(self.refuse, shots=50)
        self.value += 1
        return Calibrated(self.value, 0.01 * self.value, shots=100, quality={"chi2": 1.1})


class Lab:
    """detection -> frequency -> pi_time -> ms (ms also on frequency), and rf apart."""

    def __init__(self, store=None):
        self.clock = Clock()
        self.log = []
        n = {}
        n["detection"] = Fake("detection", self.clock, self.log, timeout=1000)
        n["frequency"] = Fake("frequency", self.clock, self.log, timeout=100,
                              depends_on=[n["detection"]])
        n["pi_time"] = Fake("pi_time", self.clock, self.log, timeout=300,
                            depends_on=["frequency"])
        n["ms"] = Fake("ms", self.clock, self.log, timeout=300,
                       depends_on=["pi_time", "frequency"])
        n["rf"] = Fake("rf", self.clock, self.log, timeout=1000)
        self.nodes = n
        self.graph = Graph([n["ms"], n["pi_time"], n["frequency"], n["rf"]])
        self.store = MemoryStore() if store is None else store
        self.maintainer = Maintainer(self.graph, self.store, clock=self.clock, rid=42)

    def maintain(self, *args, **kwargs):
        del self.log[:]
        return self.maintainer.maintain(*args, **kwargs)

    def calls(self, kind):
        return [name for name, k in self.log if k == kind]

    def bootstrapped(self):
        report = self.maintain()
        assert report.ok and report.calibrated == ["detection", "frequency", "pi_time",
                                                   "ms", "rf"]
        return self


# ---- the graph

def test_graph_orders_dependencies_first_and_pulls_in_node_dependencies():
    lab = Lab()
    assert lab.graph.names == ["detection", "frequency", "pi_time", "ms", "rf"]
    assert lab.graph.upstream("ms") == ["detection", "frequency", "pi_time"]
    assert lab.graph.downstream("frequency") == ["pi_time", "ms"]
    assert lab.graph.dependencies("ms") == ["frequency", "pi_time"]
    assert lab.graph.plan("pi_time") == ["detection", "frequency", "pi_time"]


def test_a_cycle_is_refused_and_named():
    a = Node("a", depends_on=["c"], calibrate=lambda v: None)
    b = Node("b", depends_on=["a"], calibrate=lambda v: None)
    c = Node("c", depends_on=["b"], calibrate=lambda v: None)
    with pytest.raises(CycleError) as info:
        Graph([a, b, c])
    assert info.value.cycle == ["a", "c", "b", "a"]
    assert "a → c → b → a" in str(info.value)
    with pytest.raises(CycleError, match="s → s"):
        Graph([Node("s", depends_on=["s"], calibrate=lambda v: None)])


def test_unknown_dependency_duplicate_names_and_shared_keys_are_refused():
    cal = lambda v: None  # noqa: E731
    with pytest.raises(GraphError, match="'x' depends on 'frequncy'.*closest: frequency"):
        Graph([Node("frequency", calibrate=cal), Node("x", depends_on=["frequncy"],
                                                      calibrate=cal)])
    with pytest.raises(GraphError, match="two different nodes are named 'a'"):
        Graph([Node("a", calibrate=cal), Node("a", calibrate=cal)])
    with pytest.raises(GraphError, match="both own dataset 'k'"):
        Graph([Node("a", keys=["k"], calibrate=cal), Node("b", keys=["k", "j"],
                                                           calibrate=cal)])
    with pytest.raises(TypeError, match="no calibrate"):
        Node("a")
    with pytest.raises(ValueError, match="timeout"):
        Node("a", calibrate=cal, timeout=0)


# ---- maintain

def test_bootstrap_calibrates_what_has_no_value_without_checking_it():
    lab = Lab()
    report = lab.maintain()
    assert report.ok
    assert lab.calls("check") == []
    assert lab.calls("calibrate") == ["detection", "frequency", "pi_time", "ms", "rf"]
    assert lab.store.data["frequency"] == 2.0
    assert report.shots == 5 * 100


def test_fresh_nodes_are_not_rechecked():
    lab = Lab().bootstrapped()
    lab.clock.advance(50)  # within every timeout
    report = lab.maintain()
    assert lab.log == []
    assert [a.state for a in report.actions] == [FRESH] * 5
    writes = lab.store.writes
    lab.maintain("ms")
    assert lab.log == [] and lab.store.writes == writes


def test_stale_node_is_checked_only_and_a_passing_check_renews_its_trust():
    lab = Lab().bootstrapped()
    lab.clock.advance(150)  # frequency (100 s) is stale, the rest within timeout
    report = lab.maintain()
    assert lab.log == [("frequency", "check")]
    assert report.states("frequency") == [IN_SPEC]
    assert "timed out" in report.actions[1].detail
    assert report.calibrated == []
    state = lab.maintainer.state("frequency")
    assert state.check == IN_SPEC and state.checked == lab.clock()
    # dependents were not recalibrated-upon: they stay fresh
    assert report.states("pi_time") == [FRESH] and report.states("ms") == [FRESH]
    lab.clock.advance(50)
    lab.maintain()
    assert lab.log == []  # trusted again from the check


def test_out_of_spec_calibrates_that_node_and_rechecks_what_depends_on_it():
    lab = Lab().bootstrapped()
    lab.clock.advance(150)
    lab.nodes["frequency"].script = [OUT_OF_SPEC]
    report = lab.maintain()
    assert report.ok
    assert report.calibrated == ["frequency"]
    assert lab.log == [("frequency", "check"), ("frequency", "calibrate"),
                       ("pi_time", "check"), ("ms", "check")]
    pi_check = next(a for a in report.actions if a.node == "pi_time")
    assert pi_check.state == IN_SPEC and "frequency recalibrated" in pi_check.detail
    # the dependents' checks saw the new value of frequency written before them
    assert lab.store.data["frequency"] == 3.0
    assert report.states("detection") == [FRESH] and report.states("rf") == [FRESH]
    # and the next run trusts everything
    lab.clock.advance(1)
    lab.maintain()
    assert lab.log == []


def test_a_dependent_out_of_spec_after_its_dependency_changed_is_calibrated_too():
    lab = Lab().bootstrapped()
    lab.clock.advance(150)
    lab.nodes["frequency"].script = [OUT_OF_SPEC]
    lab.nodes["pi_time"].script = [OUT_OF_SPEC]
    report = lab.maintain()
    assert report.calibrated == ["frequency", "pi_time"]
    assert lab.calls("check") == ["frequency", "pi_time", "ms"]


def test_recalibration_in_an_earlier_run_makes_dependents_stale_in_the_next():
    lab = Lab().bootstrapped()
    lab.clock.advance(10)
    lab.maintain("frequency", force=True)
    assert lab.log == [("frequency", "calibrate")]  # detection fresh, not forced
    lab.clock.advance(10)
    report = lab.maintain()
    assert lab.calls("check") == ["pi_time", "ms"]
    assert lab.calls("calibrate") == []
    assert report.states("frequency") == [FRESH]


def test_force_recalibrates_fresh_targets_only():
    lab = Lab().bootstrapped()
    lab.clock.advance(1)
    report = lab.maintain("pi_time", force=True)
    assert report.calibrated == ["pi_time"]
    assert report.states("frequency") == [FRESH] and report.states("detection") == [FRESH]
    assert "forced" in report.actions[-1].detail
    lab.clock.advance(1)
    report = lab.maintain(force=True)
    assert report.calibrated == lab.graph.names


def test_bad_data_diagnoses_upstream_fixes_the_culprit_then_the_node():
    lab = Lab().bootstrapped()
    lab.clock.advance(350)  # pi_time and ms (300 s) and frequency (100 s) stale
    lab.nodes["frequency"].script = [IN_SPEC, OUT_OF_SPEC]  # maintain: ok; diagnosis: off
    lab.nodes["pi_time"].script = [BAD_DATA]
    report = lab.maintain("pi_time")
    assert report.ok
    assert lab.log == [
        ("frequency", "check"),                              # maintained: stale, in spec
        ("pi_time", "check"),                                # bad data: diagnose upstream
        ("frequency", "check"), ("frequency", "calibrate"),  # the culprit, out of spec
        ("pi_time", "calibrate")]
    assert report.calibrated == ["frequency", "pi_time"]
    # frequency's check was out of spec, not bad data: the walk stops there
    assert report.states("detection") == [FRESH]


def test_bad_data_recurses_through_bad_data_upstream():
    lab = Lab().bootstrapped()
    lab.clock.advance(350)
    lab.nodes["frequency"].script = [IN_SPEC, BAD_DATA]
    lab.nodes["pi_time"].script = [BAD_DATA]
    lab.nodes["detection"].script = [OUT_OF_SPEC]
    report = lab.maintain("pi_time")
    assert report.ok
    assert report.calibrated == ["detection", "frequency", "pi_time"]
    assert lab.log[2:] == [("frequency", "check"), ("detection", "check"),
                           ("detection", "calibrate"), ("frequency", "calibrate"),
                           ("pi_time", "calibrate")]


def test_a_diagnosis_that_recalibrates_a_shared_dependency_rechecks_what_was_done():
    clock, log = Clock(), []
    frequency = Fake("frequency", clock, log, timeout=100)
    ramsey = Fake("ramsey", clock, log, timeout=1000, depends_on=[frequency])
    pi_time = Fake("pi_time", clock, log, timeout=100, depends_on=[frequency])
    m = Maintainer(Graph([ramsey, pi_time]), MemoryStore(), clock=clock)
    assert m.maintain().calibrated == ["frequency", "ramsey", "pi_time"]
    clock.advance(150)
    del log[:]
    # ramsey is fresh when maintained; then pi_time's bad data is frequency's fault
    frequency.script = [IN_SPEC, OUT_OF_SPEC]
    pi_time.script = [BAD_DATA]
    report = m.maintain()
    assert report.ok
    assert report.calibrated == ["frequency", "pi_time"]
    assert log == [("frequency", "check"), ("pi_time", "check"), ("frequency", "check"),
                   ("frequency", "calibrate"), ("pi_time", "calibrate"),
                   ("ramsey", "check")]  # trusted before frequency changed: checked again
    assert report.states("ramsey") == [FRESH, IN_SPEC]
    assert ramsey.seen[-1] == {"ramsey": 2.0}


def test_a_refused_calibration_writes_nothing_and_stops_what_depends_on_it():
    lab = Lab().bootstrapped()
    lab.clock.advance(2000)  # everything stale
    lab.nodes["detection"].script = [BAD_DATA]
    lab.nodes["detection"].refuse = "no counts in the bright histogram: PMT disconnected?"
    before = copy.deepcopy(lab.store.data)
    report = lab.maintain()
    # nothing of detection or what depends on it changed; only rf's own check is noted
    assert {k: v for k, v in lab.store.data.items() if k != STATE_PREFIX + "rf"} == \
        {k: v for k, v in before.items() if k != STATE_PREFIX + "rf"}
    assert lab.maintainer.state("rf").check == IN_SPEC
    assert not report.ok
    assert lab.log == [("detection", "check"), ("detection", "calibrate"),
                       ("rf", "check")]  # the independent branch is still maintained
    assert report.states("detection") == [BAD_DATA, REFUSED]
    for name in ("frequency", "pi_time", "ms"):
        assert report.states(name) == [BLOCKED]
        assert "PMT disconnected" in report.failed[name]
    assert report.failed["detection"] == ("calibration refused: no counts in the bright "
                                          "histogram: PMT disconnected?")
    table = report.summary_table()
    assert "refused" in table and "blocked" in table and "PMT disconnected" in table


def test_a_refusal_raised_or_a_non_finite_fit_is_a_refusal_too():
    lab = Lab().bootstrapped()
    before = copy.deepcopy(lab.store.data)

    def raises(values):
        raise CalibrationRefused("residuals too large", shots=7)

    lab.nodes["frequency"].calibrate = raises
    report = lab.maintainer.maintain("frequency", force=True)
    assert report.failed == {"frequency": "calibration refused: residuals too large"}
    assert report.shots == 7 and lab.store.data == before

    lab.nodes["frequency"].calibrate = lambda values: Calibrated(float("nan"), 1.0)
    report = lab.maintainer.maintain("pi_time", force=True)
    assert "frequency" not in report.failed  # not a target, fresh
    report = lab.maintainer.maintain(["frequency", "pi_time"], force=True)
    assert "non-finite" in report.failed["frequency"]
    assert report.states("pi_time") == [BLOCKED]
    assert lab.store.data["frequency"] == before["frequency"]


def test_an_exception_in_a_calibration_propagates_and_is_reported():
    lab = Lab().bootstrapped()

    def broken(values):
        raise RuntimeError("RTIO underflow")

    lab.nodes["rf"].calibrate = broken
    with pytest.raises(RuntimeError, match="RTIO underflow"):
        lab.maintain("rf", force=True)
    assert lab.maintainer.report.states("rf") == [ERROR]


def test_a_value_changed_outside_the_graph_is_checked_and_its_dependents_too():
    lab = Lab().bootstrapped()
    lab.clock.advance(1)
    lab.store.set("frequency", 2.5)  # e.g. artiq_client set-dataset
    report = lab.maintain()
    assert "changed outside" in report.actions[1].detail
    assert lab.calls("check") == ["frequency", "pi_time", "ms"]
    lab.clock.advance(1)
    lab.maintain()
    assert lab.log == []


# ---- persistence and provenance

def test_state_and_provenance_round_trip_through_the_store():
    lab = Lab().bootstrapped()
    t_first = lab.maintainer.provenance("frequency")["time"]
    lab.clock.advance(10)
    lab.maintain("frequency", force=True)
    data = lab.store.data
    assert data["frequency"] == 3.0
    prov = data["frequency" + PROVENANCE_SUFFIX]
    assert prov == {"time": lab.clock(), "rid": 42, "node": "frequency",
                    "uncertainty": pytest.approx(0.03), "previous": 2.0, "shots": 100,
                    "quality": {"chi2": 1.1}}
    assert prov["time"] > t_first
    state = NodeState.from_dataset(data[STATE_PREFIX + "frequency"])
    assert state.calibrated == lab.clock() and state.rid == 42
    assert state.values == {"frequency": 3.0} and state.previous == {"frequency": 2.0}

    # a new maintainer (another run, another process) over the same datasets
    lab2 = Lab(store=MemoryStore(copy.deepcopy(data)))
    lab2.clock.t = lab.clock() + 5
    report = lab2.maintain()
    assert lab2.log == [("pi_time", "check"), ("ms", "check")]  # frequency changed
    assert report.states("frequency") == [FRESH] and report.states("detection") == [FRESH]


def test_a_group_node_of_callables_writes_each_key_with_provenance():
    clock = Clock()
    calls = []

    def check(values):
        calls.append(("check", dict(values)))
        return OUT_OF_SPEC

    def calibrate(values):
        calls.append(("calibrate", dict(values)))
        return Calibrated({"ms.detuning": np.float64(2e3), "ms.duration": 1e-4},
                          {"ms.detuning": 5.0, "ms.duration": np.float64(1e-6)},
                          shots=400)

    node = Node("ms", keys=["ms.detuning", "ms.duration"], timeout=60, check=check,
                calibrate=calibrate)
    store = MemoryStore({"ms.detuning": 1.9e3, "ms.duration": 1e-4})
    m = Maintainer(Graph([node]), store, clock=clock)
    report = m.maintain()
    # values were there but never verified by the graph: checked first
    assert [c[0] for c in calls] == ["check", "calibrate"]
    assert calls[0][1] == {"ms.detuning": 1.9e3, "ms.duration": 1e-4}
    assert store.data["ms.detuning"] == 2e3 and type(store.data["ms.detuning"]) is float
    assert store.data["ms.duration.provenance"]["uncertainty"] == 1e-6
    assert store.data["ms.detuning.provenance"]["previous"] == 1.9e3
    assert report.calibrated == ["ms"]
    assert "detuning: 1900 → 2000" in report.summary_table()


def test_environment_store_persists_and_reads_back_what_it_wrote():
    from control.lang import HasEnvironment
    from control.managers import ArgumentManager, DatasetManager, DeviceManager

    datasets = DatasetManager({"rf": 5.0})
    env = HasEnvironment((DeviceManager({}), datasets, ArgumentManager({}), {}))
    store = EnvironmentStore(env)
    clock = Clock()
    node = Node("rf", timeout=10, check=lambda v: OUT_OF_SPEC,
                calibrate=lambda v: Calibrated(v["rf"] + 1, 0.1, shots=3))
    m = Maintainer(Graph([node]), store, clock=clock, rid=7)
    assert m.maintain().calibrated == ["rf"]
    persisted = datasets.persisted()
    assert persisted["rf"] == 6.0
    assert persisted["rf.provenance"]["rid"] == 7
    assert persisted["rf.provenance"]["previous"] == 5.0
    assert "rf" in datasets.local                # the value is archived in the results
    assert "rf.provenance" not in datasets.local  # a dict is not: HDF5 cannot hold it
    assert STATE_PREFIX + "rf" not in datasets.local
    clock.advance(1)
    assert m.maintain().states("rf") == [FRESH]  # the state written is read back

    # the next run reads them from the dataset DB
    datasets2 = DatasetManager(dict(persisted))
    env2 = HasEnvironment((DeviceManager({}), datasets2, ArgumentManager({}), {}))
    m2 = Maintainer(Graph([node]), EnvironmentStore(env2), clock=clock)
    assert m2.maintain().states("rf") == [FRESH]


# ---- reporting

def test_summary_table_lists_what_happened():
    lab = Lab().bootstrapped()
    lab.clock.advance(150)
    lab.nodes["frequency"].script = [OUT_OF_SPEC]
    report = lab.maintain()
    table = report.summary_table()
    lines = table.splitlines()
    header = lines[0]
    for column in ("node", "state", "old → new", "uncertainty", "shots", "time"):
        assert column in header
    rows = [line for line in lines[2:] if not line.startswith("-")]
    assert [r.split()[0] for r in rows] == ["detection", "frequency", "frequency",
                                            "pi_time", "ms", "rf", "total"]
    calibrated = next(r for r in rows if "calibrated" in r)
    assert "2 → 3" in calibrated and "±0.03" in calibrated and " 100 " in calibrated
    assert "10 s" in calibrated
    assert rows[-1].split()[:3] == ["total", "ok", "130"]


def test_progress_callback_sees_each_step_and_counts_nodes():
    events = []
    lab = Lab()
    lab.maintainer.progress = events.append
    lab.maintain("pi_time")
    assert all(e.total == 3 for e in events)
    assert [(e.node, e.step) for e in events if e.action is None] == [
        ("detection", "calibrate"), ("frequency", "calibrate"), ("pi_time", "calibrate")]
    done = [e.done for e in events if e.step == "done"]
    assert done == [1, 2, 3]
    assert [e.action.state for e in events if e.step == CALIBRATED] == [CALIBRATED] * 3


def test_stale_names_why():
    lab = Lab()
    assert lab.maintainer.stale("detection") == "no value"
    lab.bootstrapped()
    assert lab.maintainer.stale("detection") is None
    lab.clock.advance(1001)
    assert "timed out" in lab.maintainer.stale("detection")
    assert math.isinf(Node("x", calibrate=lambda v: None).timeout)


def test_bootstrap_with_a_broken_detection_writes_nothing_at_all():
    lab = Lab()
    lab.nodes["detection"].refuse = "bright and dark histograms overlap: no fluorescence"
    report = lab.maintain("ms")
    assert lab.store.data == {} and lab.store.writes == 0
    assert lab.log == [("detection", "calibrate")]
    assert set(report.failed) == {"detection", "frequency", "pi_time", "ms"}
    assert "no fluorescence" in report.failed["ms"]
    assert "no fluorescence" in report.why()


def test_order_within_a_run_does_not_rely_on_the_clock_moving():
    # a coarse clock (or a simulation whose time stands still between points): every
    # action of the run has the same time stamp
    clock, frozen, log = Clock(), Clock(), []
    frequency = Fake("frequency", frozen, log, timeout=100)
    ramsey = Fake("ramsey", frozen, log, timeout=100, depends_on=[frequency])
    pi_time = Fake("pi_time", frozen, log, timeout=100, depends_on=[frequency])
    m = Maintainer(Graph([ramsey, pi_time]), MemoryStore(), clock=clock)
    m.maintain()
    clock.advance(150)
    del log[:]
    frequency.script = [IN_SPEC, OUT_OF_SPEC]
    pi_time.script = [BAD_DATA]
    report = m.maintain()
    # ramsey was checked in spec at the same instant frequency was recalibrated, but
    # before it: it is checked again
    assert log[-1] == ("ramsey", "check") and report.states("ramsey") == [IN_SPEC, IN_SPEC]


def test_per_qubit_values_as_numpy_arrays():
    clock = Clock()
    script = [BAD_DATA]

    def check(values):
        assert isinstance(values["f"], np.ndarray)
        return script.pop(0) if script else IN_SPEC

    detection = Node("d", check=lambda v: OUT_OF_SPEC,
                     calibrate=lambda v: Calibrated(np.array([1.0, 2.0]), np.array([.1, .1])))
    freqs = Node("f", depends_on=[detection], timeout=10, check=check,
                 calibrate=lambda v: Calibrated(v["f"] + 1, np.array([1.0, 1.0])))
    store = MemoryStore({"d": np.array([1.0, 2.0]), "f": np.array([10.0, 20.0])})
    m = Maintainer(Graph([freqs]), store, clock=clock)
    report = m.maintain()
    assert report.calibrated == ["d", "f"]
    assert store.data["f"] == [11.0, 21.0]
    assert store.data["f.provenance"]["previous"] == [10.0, 20.0]
    assert "[10, 20] → [11, 21]" in report.summary_table()
    store.data["f"] = np.array(store.data["f"])  # as a dataset DB gives it back
    clock.advance(1)
    assert m.maintain().states("f") == [FRESH]
