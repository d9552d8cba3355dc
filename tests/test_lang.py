"""The ARTIQ bridge: the host implementation behaves as ARTIQ's language does.

Each check runs against the host implementation (``control.language``) and, where ARTIQ is
installed, against ``artiq.language`` itself, so the two cannot drift apart unnoticed.
"""
import importlib

import pytest

from control import lang


def _host():
    from control.language import core, environment, scan, units
    return {"core": core, "environment": environment, "scan": scan, "units": units}


def _artiq():
    pytest.importorskip("artiq")
    return {name: importlib.import_module("artiq.language." + name)
            for name in ("core", "environment", "scan", "units")}


@pytest.fixture(params=["host", pytest.param("artiq", marks=pytest.mark.artiq)])
def impl(request):
    return _host() if request.param == "host" else _artiq()


class Recorder:
    """A time manager that records calls, to see what the language sends it."""

    def __init__(self):
        self.calls = []
        self.t = 0

    def enter_sequential(self):
        self.calls.append("seq")

    def enter_parallel(self):
        self.calls.append("par")

    def exit(self):
        self.calls.append("exit")

    def take_time_mu(self, d):
        self.calls.append(("mu", d))
        self.t += d

    def take_time(self, d):
        self.calls.append(("s", d))

    def get_time_mu(self):
        return self.t

    def set_time_mu(self, t):
        self.calls.append(("at", t))
        self.t = t


def test_units_match_artiq_prefixes(impl):
    u = impl["units"]
    assert (u.ns, u.us, u.ms, u.s) == (1e-9, 1e-6, 1e-3, 1.0)
    assert (u.Hz, u.kHz, u.MHz, u.GHz, u.mHz) == (1.0, 1e3, 1e6, 1e9, 1e-3)
    assert (u.dB, u.V, u.mV, u.mA, u.A) == (1.0, 1.0, 1e-3, 1e-3, 1.0)
    assert not hasattr(u, "ks")  # seconds take no k prefix in ARTIQ


def _dummy_time_manager(core):
    return (getattr(core, "_DummyTimeManager", None) or core._NoTimeManager)()


def test_timeline_calls_reach_the_time_manager(impl):
    core = impl["core"]
    rec = Recorder()
    saved = core._time_manager
    core.set_time_manager(rec)
    try:
        core.delay_mu(5)
        core.delay(2e-6)
        core.at_mu(100)
        with core.parallel:
            core.delay_mu(1)
        with core.sequential:
            pass
        assert core.now_mu() == 101
    finally:
        core.set_time_manager(saved)
    assert rec.calls == [("mu", 5), ("s", 2e-6), ("at", 100), "par", ("mu", 1), "exit",
                         "seq", "exit"]


def test_no_time_manager_refuses(impl):
    core = impl["core"]
    saved = core._time_manager
    core.set_time_manager(_dummy_time_manager(core))
    try:
        with pytest.raises(NotImplementedError):
            core.delay_mu(1)
        with pytest.raises(NotImplementedError):
            core.now_mu()
    finally:
        core.set_time_manager(saved)


def test_kernel_marker_calls_core_run(impl):
    core = impl["core"]
    seen = []

    class FakeCore:
        def run(self, function, args, kwargs):
            seen.append((function.__name__, args[1:], kwargs))
            return function.artiq_embedded.function(*args, **kwargs)

    class Thing:
        def __init__(self):
            self.core = FakeCore()
            self.other = FakeCore()

        @core.kernel
        def k(self, x, y=2):
            return x + y

        @core.kernel("other")
        def k2(self):
            return 7

    t = Thing()
    assert t.k(1, y=5) == 6
    assert t.k2() == 7
    assert seen == [("k", (1,), {"y": 5}), ("k2", (), {})]
    info = Thing.k.artiq_embedded
    assert info.core_name == "core" and not info.portable and not info.forbidden
    assert Thing.k2.artiq_embedded.core_name == "other"


def test_markers_are_recognized(impl):
    core = impl["core"]

    @core.portable
    def p(x):
        return 2 * x

    @core.rpc(flags={"async"})
    def r():
        pass

    @core.host_only
    def h():
        return 3

    assert p(2) == 4 and h() == 3  # still callable on the host
    assert p.artiq_embedded.portable
    assert "async" in r.artiq_embedded.flags
    assert h.artiq_embedded.forbidden


def test_kernel_from_string(impl):
    language = impl["core"]
    add = language.kernel_from_string(["a", ("b", "int")], "c = a + b\nreturn c",
                                      decorator=language.portable)
    assert add(2, 3) == 5  # defined on the host too
    assert add.artiq_embedded.portable
    source = add.artiq_embedded.function  # the text, for the compiler
    assert isinstance(source, str) and "return c" in source

    calls = []

    class FakeCore:
        def run(self, function, args, kwargs):
            calls.append((function.artiq_embedded.function, args[1:]))

    class Thing:
        core = FakeCore()
        k = language.kernel_from_string(["self", "n"], "return 2 * n")

    Thing().k(4)
    assert calls == [(Thing.k.artiq_embedded.function, (4,))]
    assert Thing.k.artiq_embedded.core_name == "core"
    with pytest.raises(NameError):  # the body sees its parameters and builtins only
        language.kernel_from_string([], "return pytest", decorator=language.portable)()
    with pytest.raises(SyntaxError):
        language.kernel_from_string(["x"], "return (x", decorator=language.portable)


def test_kernel_from_string_runs_on_the_simulated_core(sim_managers):
    class Exp(lang.EnvExperiment):
        def build(self):
            self.setattr_device("core")

        def run(self):
            pass

    exp = Exp(sim_managers())
    # The timeline names are there, as the compiler gives them to every kernel, and the
    # parallel block has ARTIQ's semantics (its statements start together).
    k = lang.kernel_from_string(
        ["self", "n"],
        "t0 = now_mu()\nwith parallel:\n    delay_mu(n)\n    delay_mu(2 * n)\n"
        "return now_mu() - t0")
    assert k(exp, 100) == 200


def test_bridge_helpers_classify_functions():
    class C:
        @lang.kernel
        def k(self):
            pass

        @lang.portable
        def p(self):
            pass

        @lang.host_only
        def h(self):
            pass

        def plain(self):
            pass

    assert lang.is_kernel(C.k) and not lang.is_kernel(C.p)
    assert lang.is_portable(C.p) and lang.is_host_only(C.h)
    assert lang.is_rpc(C.plain) and not lang.is_rpc(C.k)
    assert lang.kernel_function(C.k).__name__ == "k"


class _ArgMgr:
    def __init__(self, values):
        self.values = values

    def get(self, key, processor, group, tooltip):
        if key in self.values:
            return processor.process(self.values[key])
        return processor.default()


def _build(impl, build, values=None):
    env = impl["environment"]

    class Exp(env.EnvExperiment):
        def build(self):
            build(self)

        def run(self):
            pass

    return Exp((None, None, _ArgMgr(values or {}), {}))


def test_number_value_types_and_scale(impl):
    env = impl["environment"]
    assert env.NumberValue(5, precision=0, step=1).process(3.7) == 3  # auto -> int
    assert isinstance(env.NumberValue(5).process(3), float)  # precision 2 -> float
    nv = env.NumberValue(1e-6, unit="us")
    assert nv.scale == 1e-6 and nv.step == pytest.approx(1e-7)
    with pytest.raises(KeyError):
        env.NumberValue(1, unit="furlongs")
    with pytest.raises(ValueError):
        env.NumberValue(1, type="int", precision=2)
    with pytest.raises(TypeError):
        env.NumberValue(1, type="complex")
    d = env.NumberValue(2, unit="ms", min=0, max=1).describe()
    assert d["ty"] == "NumberValue" and d["min"] == 0 and d["max"] == 1
    assert d["scale"] == 1e-3 and d["default"] == 2.0


def test_processors_reject_bad_input_like_artiq(impl):
    env = impl["environment"]
    with pytest.raises(ValueError):
        env.EnumerationValue(["a", "b"]).process("c")
    with pytest.raises(ValueError):
        env.EnumerationValue(["a", "b"], default="z")
    with pytest.raises(ValueError):
        env.BooleanValue().process(1)  # not a bool
    with pytest.raises(env.DefaultMissing):
        env.StringValue().default()
    assert env.PYONValue().process("[1, 2]") == [1, 2]
    assert env.StringValue("x").describe() == {"ty": "StringValue", "default": "x"}


def test_setattr_argument_sets_invariant(impl):
    env = impl["environment"]
    exp = _build(impl, lambda self: (
        self.setattr_argument("n", env.NumberValue(3, precision=0, step=1)),
        self.setattr_argument("mode", env.EnumerationValue(["a", "b"], "a"))),
        {"mode": "b"})
    assert exp.n == 3 and exp.mode == "b"
    assert {"n", "mode"} <= exp.kernel_invariants


def test_get_argument_outside_build_refuses(impl):
    env = impl["environment"]
    exp = _build(impl, lambda self: None)
    with pytest.raises(TypeError):
        exp.get_argument("x", env.StringValue("a"))


def test_scans(impl):
    scan = impl["scan"]
    assert list(scan.RangeScan(0, 1, 3)) == [0, 0.5, 1]
    assert len(scan.RangeScan(0, 1, 0)) == 0
    assert list(scan.RangeScan(0, 1, 1)) == [0]
    shuffled = list(scan.RangeScan(0, 9, 10, randomize=True, seed=1))
    assert sorted(shuffled) == list(range(10)) and shuffled != list(range(10))
    assert list(scan.NoScan(2.5, 3)) == [2.5] * 3
    assert list(scan.ExplicitScan([3, 1])) == [3, 1]
    s = scan.Scannable(default=scan.RangeScan(0, 1e-6, 5), unit="us", global_max=1e-3)
    assert s.scale == 1e-6 and isinstance(s.default(), scan.RangeScan)
    processed = s.process({"ty": "RangeScan", "start": 1, "stop": 2, "npoints": 2,
                           "ignored": 0})
    assert list(processed) == [1, 2]
    assert s.describe()["default"][0]["ty"] == "RangeScan"


def test_center_scan_points(impl):
    scan = impl["scan"]
    assert list(scan.CenterScan(10.0, 4.0, 1.0)) == [10.0, 9.0, 11.0, 8.0, 12.0]


def test_multi_scan_manager(impl):
    scan = impl["scan"]
    points = [(p.a, p.b) for p in scan.MultiScanManager(("a", scan.ExplicitScan([1, 2])),
                                                         ("b", scan.NoScan(0, 2)))]
    assert points == [(1, 0), (1, 0), (2, 0), (2, 0)]


# --- parity of what users and tools see: descriptions, error texts, environment -------


def _processors(env, scan):
    """One of each processor, with the settings experiments use, built by ``env``/``scan``
    of one implementation."""
    return [
        env.PYONValue({"a": [1, 2]}), env.PYONValue(),
        env.BooleanValue(True), env.BooleanValue(),
        env.EnumerationValue(["a", "b"], "b", quickstyle=True), env.EnumerationValue(["x"]),
        env.NumberValue(2, unit="ms", min=0, max=1), env.NumberValue(),
        env.NumberValue(5, precision=0, step=1, type="int"), env.NumberValue(3, ndecimals=4),
        env.NumberValue(1, unit="xyz", scale=0.001),
        env.StringValue("x"), env.StringValue(),
        scan.Scannable(default=[scan.RangeScan(0, 1e-6, 5, randomize=True, seed=3),
                                scan.CenterScan(1, 2, 0.5), scan.NoScan(4, 2),
                                scan.ExplicitScan([1, 2])],
                       unit="us", global_min=0, global_max=1e-3),
        scan.Scannable(scan.NoScan(1e6), unit="MHz", ndecimals=3), scan.Scannable(),
    ]


@pytest.mark.artiq
def test_processor_descriptions_are_artiqs_key_for_key():
    """The dashboard reads ``describe()``: same keys, in the same order, same values."""
    host, artiq = _host(), _artiq()
    ours = [list(p.describe().items())
            for p in _processors(host["environment"], host["scan"])]
    theirs = [list(p.describe().items())
              for p in _processors(artiq["environment"], artiq["scan"])]
    assert ours == theirs


def test_processors_keep_defaults_as_artiq_does(impl):
    env, scan = impl["environment"], impl["scan"]
    assert env.NumberValue(5, precision=0, step=1).default() == 5
    assert isinstance(env.NumberValue(5).default(), float)
    assert env.PYONValue([1, 2]).default() == [1, 2]  # a list is a value here
    with pytest.raises(NotImplementedError):  # elsewhere a list of defaults is refused
        env.StringValue(["a", "b"])
    first, second = scan.NoScan(1), scan.NoScan(2)
    assert scan.Scannable([first, second]).default() is first
    for processor in (env.NumberValue(), env.BooleanValue(), scan.Scannable()):
        with pytest.raises(env.DefaultMissing):
            processor.default()


def _message(exc_info):
    return exc_info.value.args[0]


def test_error_texts_are_artiqs(impl):
    """The texts users search for, word for word."""
    env, scan = impl["environment"], impl["scan"]
    unknown = "Unit furlongs is unknown, you must specify the scale manually"
    with pytest.raises(KeyError) as info:
        env.NumberValue(1, unit="furlongs")
    assert _message(info) == unknown
    with pytest.raises(KeyError) as info:
        scan.Scannable(unit="furlongs")
    assert _message(info) == unknown
    with pytest.raises(ValueError) as info:
        env.BooleanValue().process(1)
    assert _message(info) == "Invalid BooleanValue value"
    with pytest.raises(ValueError) as info:
        env.EnumerationValue(["a"]).process("b")
    assert _message(info) == "Invalid EnumerationValue value"
    with pytest.raises(TypeError) as info:
        env.NumberValue(type="complex")
    assert _message(info) == "type must be 'float', 'int' or 'auto'"
    with pytest.raises(ValueError) as info:
        env.NumberValue(type="int")
    assert _message(info) == ("Value marked as integer but settings are not compatible. "
                              "Please set precision = 0, scale = 1 and step to an integer")
    exp = _build(impl, lambda self: None)
    with pytest.raises(TypeError) as info:
        exp.get_argument("x", env.StringValue("a"))
    assert _message(info) == "get_argument() should only be called from build()"
    with pytest.raises(TypeError) as info:
        exp.set_default_scheduling(priority=1)
    assert _message(info) == "set_default_scheduling() should only be called from build()"


class _Datasets:
    def __init__(self):
        self.db, self.metadata, self.calls = {"there": 1}, {"there": {"unit": "s"}}, []

    def get(self, key, archive):
        self.calls.append(("get", key, archive))
        return self.db[key]

    def get_metadata(self, key):
        return self.metadata[key]

    def set(self, key, value, metadata, broadcast, persist, archive):
        self.calls.append(("set", key, value, metadata, broadcast, persist, archive))

    def mutate(self, key, index, value):
        self.calls.append(("mutate", key, index, value))

    def append_to(self, key, value):
        self.calls.append(("append_to", key, value))


class _Devices:
    def get_device_db(self):
        return {"ttl0": {"type": "local"}}

    def get(self, key):
        return "device " + key


def test_environment_reaches_its_managers_as_artiq_does(impl):
    env = impl["environment"]
    devices, datasets, defaults = _Devices(), _Datasets(), {}
    built = []

    class Child(env.HasEnvironment):
        def build(self, tag):
            built.append(tag)
            self.setattr_device("ttl0")
            self.set_default_scheduling(priority=9)  # a child's defaults go nowhere
            self.prepared = False

        def prepare(self):
            self.prepared = True

    class Exp(env.EnvExperiment):
        def build(self):
            self.set_default_scheduling(priority="3", pipeline_name="fast")
            self.child = Child(self, "c")
            self.setattr_dataset("there")

        def run(self):
            pass

    exp = Exp((devices, datasets, _ArgMgr({}), defaults))
    assert built == ["c"] and exp.children == [exp.child]
    assert defaults == {"priority": 3, "pipeline_name": "fast"}
    assert exp.child.ttl0 == "device ttl0" and "ttl0" in exp.child.kernel_invariants
    assert exp.get_device_db() == {"ttl0": {"type": "local"}} and exp.there == 1
    # control/modules.py reads ARTIQ's private name for the device manager.
    assert exp._HasEnvironment__device_mgr is devices
    assert exp.child._HasEnvironment__device_mgr is devices
    exp.prepare()
    assert exp.child.prepared
    assert exp.get_dataset("absent", 5) == 5 and exp.get_dataset_metadata("absent", 6) == 6
    assert exp.get_dataset_metadata("there") == {"unit": "s"}
    with pytest.raises(KeyError):
        exp.get_dataset("absent")
    with pytest.raises(KeyError):
        exp.get_dataset_metadata("absent")
    datasets.calls.clear()
    exp.set_dataset("x", 1.5, unit="us", precision=2, broadcast=True)
    exp.set_dataset("y", 2)
    exp.mutate_dataset("x", 0, 3)
    exp.append_to_dataset("l", 4)
    exp.get_dataset("there", archive=False)
    assert datasets.calls == [
        ("set", "x", 1.5, {"unit": "us", "precision": 2}, True, False, True),
        ("set", "y", 2, {}, False, False, True),
        ("mutate", "x", 0, 3), ("append_to", "l", 4), ("get", "there", False)]


def test_interactive_arguments_as_artiq_does(impl):
    env = impl["environment"]
    asked = []

    class Arguments(_ArgMgr):
        def __init__(self, answer):
            super().__init__({})
            self.answer = answer

        def get_interactive(self, arglist, title):
            asked.append(([key for key, *_ in arglist], title))
            return self.answer

    exp = _build(impl, lambda self: None)
    exp = type(exp)((None, None, Arguments({"n": 7}), {}))
    with exp.interactive("Which?") as answers:
        answers.setattr_argument("n", env.NumberValue(1), "group", "tip")
    assert answers.n == 7 and not hasattr(answers, "setattr_argument")
    assert asked == [(["n"], "Which?")]
    cancelled = type(exp)((None, None, Arguments(None), {}))
    with pytest.raises(env.CancelledArgsError):
        with cancelled.interactive() as answers:
            answers.setattr_argument("n", env.NumberValue(1))


def test_experiment_classes_are_recognized(impl):
    env = impl["environment"]

    class Public(env.EnvExperiment):
        pass

    class _Private(env.EnvExperiment):
        pass

    assert env.is_experiment(Public) and env.is_public_experiment(Public)
    assert env.is_experiment(_Private) and not env.is_public_experiment(_Private)
    for other in (env.EnvExperiment, env.Experiment, env.HasEnvironment,
                  Public((None, None, None, {}))):
        assert not env.is_experiment(other)


def _scan_cases(scan):
    return [scan.RangeScan(0, 1, 0), scan.RangeScan(2, 3, 1), scan.RangeScan(-1, 1, 7),
            scan.RangeScan(0, 1e-6, 11, randomize=True, seed=42),
            scan.CenterScan(10.0, 4.0, 1.0), scan.CenterScan(10, 4, 1),
            scan.CenterScan(1.0, 0.3, 0.2), scan.CenterScan(1.0, 1.0, 0.0),
            scan.CenterScan(1.0, -1.0, 0.4), scan.CenterScan(1.0, -4.0, 1.0),
            scan.CenterScan(5.0, 2.0, 0.25, randomize=True, seed=7),
            scan.NoScan(2.5), scan.NoScan(3, 4), scan.ExplicitScan([3, 1, 2])]


def test_scans_describe_and_rebuild_themselves(impl):
    scan = impl["scan"]
    scannable = scan.Scannable()
    for s in _scan_cases(scan):
        points = list(s)
        assert list(s) == points and len(s) == len(points)  # again, the same
        rebuilt = scannable.process(s.describe())
        assert type(rebuilt) is type(s) and list(rebuilt) == points
        assert rebuilt.describe() == s.describe()


@pytest.mark.artiq
def test_scan_points_and_descriptions_are_artiqs():
    """The same points, in the same order (shuffled ones too), and the same descriptions;
    float for float."""
    host, artiq = _host()["scan"], _artiq()["scan"]
    for ours, theirs in zip(_scan_cases(host), _scan_cases(artiq)):
        assert [(type(p), p) for p in ours] == [(type(p), p) for p in theirs], theirs
        assert len(ours) == len(theirs)
        assert list(ours.describe().items()) == list(theirs.describe().items())
    for impl_scan in (host, artiq):
        with pytest.raises(NotImplementedError):
            iter(impl_scan.ScanObject())


def test_multi_scan_points_print_their_values(impl):
    scan = impl["scan"]
    [point] = list(scan.MultiScanManager(("a", scan.NoScan(1))))
    assert repr(point) == "<ScanPoint a=1>" and point.attr == {"a"}


@pytest.mark.artiq
def test_units_are_artiqs_name_for_name():
    ours, theirs = _host()["units"], _artiq()["units"]
    assert ours.__all__ == theirs.__all__
    assert [getattr(ours, n) for n in ours.__all__] == [getattr(theirs, n)
                                                         for n in theirs.__all__]


def test_watchdog_is_not_enforced_on_the_host(impl):
    core = impl["core"]
    with core.watchdog(1.0) as w:
        pass
    assert w is None
    made = []
    saved = core._watchdog_factory
    core.set_watchdog_factory(lambda timeout: made.append(timeout) or core.sequential)
    try:
        core.watchdog(2.0)
    finally:
        core.set_watchdog_factory(saved)
    assert made == [2.0]
