"""The simulated timeline: the RTIO cursor in machine units and an estimate of the CPU.

Two clocks, both int64 machine units (``ref_period`` seconds each):

* ``now`` — the timeline cursor that ``delay``/``at_mu``/``now_mu`` move and read, the
  timestamp every output event gets;
* ``cpu`` — when the core device's CPU would get to the current statement, on the RTIO
  counter's scale. Each kernel operation advances it by a documented cost
  (:class:`SlackModel`). An output event whose timestamp is not at least ``latency``
  ahead of ``cpu`` would reach the RTIO core too late: the hardware raises
  ``RTIOUnderflow`` and so does the simulator.

``parallel`` follows ARTIQ's compiler exactly: every top-level statement of the block
starts at the block's start and the block ends at the latest end. A ``with`` block cannot
see its statements on the host, so :func:`transform_kernel` rewrites kernels that use
``parallel`` (once per function, cached) into explicit ``at_mu``/``max`` bookkeeping, as
the compiler's IR generator does; it also charges the loop-step cost of the slack model.

RPCs: on the core device, a kernel that calls a host function waits for the host (a
synchronous RPC, ``rpc_ns``) or only sends the call (``@rpc(flags={"async"})``,
``async_rpc_ns``). On the simulator the host function simply runs as Python, so the
rewrite also routes every call written in a kernel's body through
:meth:`TimeManager.route`, which charges the CPU estimate for the calls ARTIQ's compiler
would make RPCs (after their arguments are evaluated, as on the core device): a Python
function or method that is neither ``@kernel``, ``@portable``, ``@syscall`` nor
``@host_only`` (undecorated or ``@rpc``), and ``print``. Not charged: calls to the
language's timeline functions (``delay``, ``now_mu``…), to numpy, to types (``int``,
exceptions) and to Python's other built-ins, which the compiler lowers itself; calls of
the simulator's own functions (``control.sim``: they stand for the core device and its
gateware); and calls made inside ``@portable`` functions, which run unchanged (the
simulated drivers' own helpers are such calls). A kernel whose source cannot be read is
not rewritten, so its RPCs are not charged either. A call's callee is looked up in a
dictionary (``TimeManager.routes``), so it must be hashable, as every function and method
is (ARTIQ's compiler calls nothing else).
"""
import ast
import builtins
import inspect
import logging
import textwrap
import types
from dataclasses import dataclass, asdict

from control import lang
from control.mu import round_half_away

logger = logging.getLogger(__name__)

__all__ = ["SlackModel", "TimeManager", "transform_kernel"]


@dataclass
class SlackModel:
    """CPU costs of kernel operations, in nanoseconds, and the RTIO latency.

    The CPU costs of the kernel's own work (``event_ns``, ``call_ns``, ``loop_ns``,
    ``dma_record_ns``) are derived from compiled kernels, for the CPU of a Kasli 2.0: a
    VexRiscv (rv32g) at 125 MHz, 8 ns a cycle. ``python benchmarks/rb_slack.py
    --derive-costs`` (ARTIQ and unicorn needed) redoes the derivation and says whether
    these defaults still match it:

    1. Instructions. Kernels are compiled by ARTIQ 9's compiler for the traps' crates
       (their hardware device databases) and run in an emulator (``benchmarks/
       gate_time.py``'s loader, unicorn), counting the instructions executed in the
       kernel's ``.text`` and its ``.plt`` trampolines; the firmware and library functions
       it calls are counted from their sources (ksupport's ``rtio_output``: 7,
       ``dma_record_output``: 60; libm's ``round``: 25; compiler-rt's ``__fixdfdi``: 30).
       Each figure is per loop iteration: the run of 2n iterations less the run of n,
       over n.
    2. Loop. A loop of ``ttl.on(); delay_mu(d)`` executes 26 instructions an iteration,
       one of ``ttl.on(); delay; ttl.off(); delay`` 51: a TTL event with its delay is 25,
       and an iteration's own bookkeeping 2 × 26 − 51 = 1.
    3. Call and event, from the RB gate path through the HAL (``benchmarks/flat_kernels.
       HalGatePath``, the words of ``gate_time.py``'s chunk one kind at a time). A
       virtual ``rz`` on yb171 executes 22 instructions, for 2 kernel calls (``play``,
       ``rz``) and a loop iteration in the simulator: 10.5 a call. A pulse executes 461
       on yb171 (10 events, 3 calls) and 420 on ca40 (10 events, 5 calls): less the loop
       and the calls, pooled, 38.1 an event. An event of a gate thus carries the work of
       its pulse (the DDS's SPI words, the phase and length in floating point), more than
       a bare TTL event (25). The model gives 0.90, 1.00 and 1.04 of the exact count for
       yb171's pulse, yb171's ``rz`` and ca40's pulse.
    4. A recorded event: the same kernel code, its ``rtio_output`` (7) replaced by the
       firmware's ``dma_record_output`` (60): 91.1 instructions.
    5. Time. At one instruction a cycle ARTIQ's own ``PulseRate`` loop (a TTL pulse and
       a delay, 52 instructions, compiled the same way) would take 416 ns; ARTIQ's
       hardware test requires less than 480 ns on a RISC-V Kasli. The costs take that
       bound, 480/416 = 1.154 cycles an instruction (9.23 ns), the slowest CPU the test
       passes: event 352.0 ns, call 96.9 ns, loop 9.2 ns, recorded event 841.2 ns
       (rounded below). Not counted beyond that factor: cache misses, the FPU's
       multi-cycle operations, the recording buffer's hand-over to the comms CPU every
       64 KiB.

    With these a ca40 gate (10 events, 5 calls, 1 iteration) costs the CPU 4.0 µs against
    at least 5.4 µs of timeline (an AD9912 update and a π/2 pulse of 4 µs), so the gate
    loop gains slack; the former estimates (700 ns an event, 30 a call, 40 a loop) made it
    7.2 µs, which drained it. The other costs are not the kernel's instructions and stay
    estimates: an input read (``input_ns``, after the wait for the input event, which the
    simulator models apart), RPCs (tens of µs round trip), starting a kernel (a few ms),
    the RTIO latency. For a real crate, set measured values in the sim config entry
    (``slack``), e.g. from a run of the HIL suite on it.
    """
    enabled: bool = True
    event_ns: float = 352.0        # submit one output event (rtio_output), with its work
    input_ns: float = 1500.0       # read one input event / count (rtio_input_*)
    call_ns: float = 97.0          # call one kernel function
    loop_ns: float = 9.0           # one iteration of a kernel loop
    rpc_ns: float = 40_000.0       # synchronous RPC round trip (a kernel's host call)
    async_rpc_ns: float = 4_000.0  # asynchronous RPC (``@rpc(flags={"async"})``)
    kernel_start_ns: float = 5_000_000.0  # load and start a kernel
    dma_record_ns: float = 841.0   # write one output event into a DMA recording
    latency_ns: float = 500.0      # RTIO output latency: an event must be this far ahead

    def as_dict(self):
        """The costs as a dict of field name -> value."""
        return asdict(self)


class TimeManager:
    """The time manager that ``control.lang.set_time_manager`` installs for the
    simulator; also keeps the CPU estimate used by the slack model."""

    def __init__(self, ref_period=1e-9, slack=None):
        self.ref_period = ref_period
        self.slack = slack or SlackModel()
        self._scale = 1e-9 / ref_period  # ns -> mu
        self.now = 0
        self.cpu = 0
        self.rpcs = 0  # RPCs charged (calls from kernels to the host)
        # The transform turns a kernel's call ``f(x)`` into ``routes[f](x)``.
        self.routes = _Routes(self)
        # Open blocks: None for sequential, [start, end] for parallel.
        self._blocks = []
        self.set_costs(self.slack)

    def set_costs(self, slack):
        """Use the costs of ``slack`` (a :class:`SlackModel`), converted to machine units
        once; with slack disabled every cost is 0."""
        self.slack = slack
        on = slack.enabled
        scale = self._scale
        self.event_mu = int(slack.event_ns * scale) if on else 0
        self.input_mu = int(slack.input_ns * scale) if on else 0
        self.call_mu = int(slack.call_ns * scale) if on else 0
        self.loop_mu = int(slack.loop_ns * scale) if on else 0
        self.rpc_mu = int(slack.rpc_ns * scale) if on else 0
        self.async_rpc_mu = int(slack.async_rpc_ns * scale) if on else 0
        self.kernel_start_mu = int(slack.kernel_start_ns * scale) if on else 0
        self.dma_record_mu = int(slack.dma_record_ns * scale) if on else 0
        self.latency_mu = int(slack.latency_ns * scale)

    # ---- the interface of ARTIQ's time managers

    def enter_sequential(self):
        """Open a ``sequential`` block: its statements follow one another."""
        self._blocks.append(None)

    def enter_parallel(self):
        """Open a ``parallel`` block: each of its statements starts at the current time."""
        self._blocks.append([self.now, self.now])

    def parallel_branch_start(self):
        """Before each statement of a parallel block (inserted by the transform)."""
        self.now = self._blocks[-1][0]

    def parallel_branch_end(self):
        """After each statement of a parallel block (inserted by the transform)."""
        block = self._blocks[-1]
        if self.now > block[1]:
            block[1] = self.now

    def exit_parallel(self):
        """Close a ``parallel`` block: the time moves to the end of its longest branch."""
        start, end = self._blocks.pop()
        self.now = max(self.now, end)

    def exit(self):
        """Close the innermost block, of either kind, that the transform did not
        rewrite."""
        # Leaving a ``with`` block that the transform did not rewrite (one in a portable
        # function called from a kernel): its statements ran one after another, and a
        # parallel block still ends at the latest time reached.
        block = self._blocks.pop()
        if block is not None:
            self.now = max(self.now, block[1])

    def loop_step(self):
        """One iteration of a kernel loop (inserted by the transform)."""
        self.cpu += self.loop_mu

    def take_time_mu(self, duration):
        """``delay_mu``: advance the timeline by ``duration`` machine units."""
        self.now += int(duration)

    def take_time(self, duration):
        """``delay``: advance the timeline by ``duration`` seconds, rounded to the nearest
        machine unit (halves away from zero)."""
        self.now += round_half_away(duration / self.ref_period)

    def get_time_mu(self):
        """``now_mu``: the timeline's current time, in machine units."""
        return self.now

    def set_time_mu(self, time):
        """``at_mu``: move the timeline to ``time`` machine units (back or forward)."""
        self.now = int(time)

    # ---- the CPU estimate

    def charge(self, mu):
        """Add ``mu`` of CPU work to the CPU estimate; the timeline does not move."""
        self.cpu += mu

    def route(self, function):
        """What a kernel's call of ``function`` calls: ``function`` itself, or, when the
        core device would make the call an RPC (see the module docstring), ``function``
        wrapped to charge the RPC's cost to the CPU once its arguments are evaluated."""
        kind = _rpc_kind(function)
        if kind is None:
            if type(function) is types.MethodType:
                # A kernel method of an object on a simulated core: straight to its body
                # (the core's ``_kernel_call``), as the wrapper and ``Core.run`` would go.
                info = getattr(function.__func__, "artiq_embedded", None)
                if info is not None and info.core_name is not None and \
                        getattr(info, "destination", None) is None:
                    core = getattr(function.__self__, info.core_name, None)
                    kernel_call = getattr(core, "_kernel_call", None)
                    if kernel_call is not None and getattr(core, "tm", None) is self:
                        return kernel_call(function)
            return function
        is_async = kind == "async"

        def rpc(*args, **kwargs):
            self.cpu += self.async_rpc_mu if is_async else self.rpc_mu
            self.rpcs += 1
            return function(*args, **kwargs)
        return rpc

    def slack_mu(self):
        """How far the timeline is ahead of the CPU estimate; an output submitted with
        less than the RTIO latency (``latency_mu``) underflows."""
        return self.now - self.cpu

    def reset(self):
        """Forget open blocks and RPC routes, at the start of a kernel; the time and the
        CPU estimate stay."""
        self._blocks.clear()
        self.routes.clear()  # a kernel run keeps no object of an earlier one alive


# What the core device calls in place, never as an RPC (besides what is marked): the
# language's timeline functions. Types (``int``, ``numpy.int32``, exceptions), numpy and
# Python's built-ins other than ``print`` are told apart by their type and module.
_COMPILED = frozenset((lang.delay, lang.delay_mu, lang.now_mu, lang.at_mu))
_HOST_FUNCTION_TYPES = (types.FunctionType, types.MethodType)
_COMPILED_MODULES = ("numpy", "scipy")
# The simulator's own functions stand for the core device and its gateware (a test's
# kernel may submit an event with ``sim.output``): never an RPC.
_SIMULATOR = "control.sim."


def _rpc_kind(function):
    """``"sync"`` or ``"async"`` when a kernel's call of ``function`` is an RPC on the core
    device (ARTIQ's compiler: a host function that is not a kernel, portable, syscall,
    subkernel or host-only one; ``print``), else None."""
    info = getattr(function, "artiq_embedded", None)
    if info is not None:
        if info.core_name is None and not info.portable and info.syscall is None \
                and not info.forbidden and getattr(info, "destination", None) is None:
            return "async" if "async" in info.flags else "sync"
        return None
    if function is print:
        return "sync"
    kind = type(function)
    if kind not in _HOST_FUNCTION_TYPES or \
            (kind is types.FunctionType and function in _COMPILED):
        return None
    module = getattr(function, "__module__", None) or ""
    if module.partition(".")[0] in _COMPILED_MODULES or module.startswith(_SIMULATOR):
        return None
    return "sync"


class _Routes(dict):
    """Callee -> what the call calls (:meth:`TimeManager.route`), learnt at its first
    call in a kernel run: a hit is one dictionary lookup (bound methods hash and compare
    by their object and function). A function made anew at each call (a closure, a
    lambda) is routed every time, not kept. Cleared at each kernel start."""
    __slots__ = ("tm",)

    def __init__(self, tm):
        super().__init__()
        self.tm = tm

    def __missing__(self, function):
        route = self.tm.route(function)
        if type(function) is not types.FunctionType or \
                "<locals>" not in function.__qualname__:
            self[function] = route
        return route


# Calls the rewrite leaves alone: of a name the compiler resolves itself (a built-in other
# than ``print``, the timeline functions). ``super()`` and friends must stay direct calls.
_DIRECT_CALLS = frozenset(name for name in dir(builtins) if name != "print") | \
    frozenset(("delay", "delay_mu", "now_mu", "at_mu", "int32", "int64"))


class _ParallelRewriter(ast.NodeTransformer):
    """``with parallel:`` → explicit per-statement start/end bookkeeping; a loop-cost call
    at the top of every loop body; every call that could be an RPC through the time
    manager's ``routes``."""

    def __init__(self, tm_name):
        self.tm = tm_name
        self.changed = False

    def _call(self, method):
        return ast.Expr(ast.Call(
            func=ast.Attribute(value=ast.Name(id=self.tm, ctx=ast.Load()), attr=method,
                               ctx=ast.Load()),
            args=[], keywords=[]))

    @staticmethod
    def _kind(item):
        expr = item.context_expr
        name = expr.id if isinstance(expr, ast.Name) else \
            expr.attr if isinstance(expr, ast.Attribute) else None
        return name if name in ("parallel", "interleave", "sequential") else None

    def visit_With(self, node):
        self.generic_visit(node)
        if len(node.items) != 1:
            return node
        kind = self._kind(node.items[0])
        if kind is None or kind == "sequential":
            return node  # sequential needs nothing: it is one statement of its parent
        self.changed = True
        body = []
        for stmt in node.body:
            body.append(self._call("parallel_branch_start"))
            body.append(stmt)
            body.append(self._call("parallel_branch_end"))
        return [self._call("enter_parallel"),
                ast.Try(body=body, handlers=[], orelse=[],
                        finalbody=[self._call("exit_parallel")])]

    def _loop(self, node):
        self.generic_visit(node)
        self.changed = True
        # ``loop_step()``, inlined: ``tm.cpu += tm.loop_mu``
        tm = ast.Name(id=self.tm, ctx=ast.Load())
        node.body.insert(0, ast.AugAssign(
            target=ast.Attribute(value=ast.Name(id=self.tm, ctx=ast.Load()), attr="cpu",
                                 ctx=ast.Store()),
            op=ast.Add(), value=ast.Attribute(value=tm, attr="loop_mu", ctx=ast.Load())))
        return node

    visit_For = visit_While = _loop

    def visit_Call(self, node):
        self.generic_visit(node)
        callee = node.func
        if isinstance(callee, ast.Name) and callee.id in _DIRECT_CALLS:
            return node
        self.changed = True
        routes = ast.Name(id=_ROUTES_NAME, ctx=ast.Load())
        node.func = ast.copy_location(
            ast.Subscript(value=routes, slice=callee, ctx=ast.Load()), callee)
        return node


_cache: dict[tuple[types.CodeType, int, bool], object] = {}
# The name rewritten kernels see the time manager's ``routes`` under.
_ROUTES_NAME = "_control_sim_routes"


def transform_kernel(function, time_manager_holder, charge_call=False):
    """The function to run for kernel ``function`` on the simulator.

    ``time_manager_holder`` is the object the rewritten code calls (``enter_parallel``,
    ``parallel_branch_start``, ``parallel_branch_end``, ``exit_parallel``, ``routes``;
    each loop iteration adds its ``loop_mu`` to its ``cpu``, as ``loop_step`` does).
    Functions without ``parallel`` blocks, loops or calls that could be RPCs are returned
    unchanged; the others are rewritten once and cached by code object (the rewrite is
    compiled once, whatever the holder). With ``charge_call`` the function first adds the
    holder's ``call_mu`` to its ``cpu`` (the cost of a kernel called from a kernel):
    always rewritten, or None when its source cannot be read.
    """
    code = getattr(function, "__code__", None)
    if code is None:
        return None if charge_call else function
    key = (code, id(time_manager_holder), charge_call)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    rewrite = _rewrites.get((code, charge_call))
    if rewrite is None:
        rewrite = _rewrites[(code, charge_call)] = _rewrite(function, charge_call)
    maker, unreadable = rewrite
    if unreadable and {"parallel", "interleave"} & set(code.co_names):
        logger.warning("kernel %s uses parallel but its source is not available; on "
                       "the simulator its statements run one after another",
                       function.__qualname__)
    if maker is None:
        result = None if charge_call else function
    else:
        result = _make(function, maker, time_manager_holder)
    if result is not None:
        _cache[key] = result
    return result


# (code, charge_call) -> (the compiled maker of its rewrite or None, source unreadable)
_rewrites: dict[tuple[types.CodeType, bool], tuple] = {}
_TM_NAME = "_control_sim_tm"


def _rewrite(function, charge_call):
    """The rewrite of kernel ``function``, compiled: ``(maker, unreadable)``, ``maker``
    None when there is nothing to rewrite or no source to read (``unreadable``)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None, True
    if not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None, False
    fn_node = tree.body[0]
    fn_node.decorator_list = []
    rewriter = _ParallelRewriter(_TM_NAME)
    fn_node.body = [rewriter.visit(stmt) for stmt in fn_node.body]
    fn_node.body = [s for stmt in fn_node.body
                    for s in (stmt if isinstance(stmt, list) else [stmt])]
    if charge_call:  # ``tm.cpu += tm.call_mu`` before the body
        fn_node.body.insert(0, ast.AugAssign(
            target=ast.Attribute(value=ast.Name(id=_TM_NAME, ctx=ast.Load()),
                                 attr="cpu", ctx=ast.Store()),
            op=ast.Add(), value=ast.Attribute(value=ast.Name(id=_TM_NAME, ctx=ast.Load()),
                                              attr="call_mu", ctx=ast.Load())))
    if not (rewriter.changed or charge_call):
        return None, False
    return _compile_maker(function, fn_node), False


def _maker_freevars(code):
    """The names the maker of a rewrite of ``code`` takes before the time manager's: the
    function's free variables, and ``__class__`` (for ``super()``)."""
    freevars = list(code.co_freevars)
    if "__class__" not in freevars:
        freevars.append("__class__")
    return freevars


def _compile_maker(function, fn_node):
    """Compile a function that makes ``fn_node`` as a closure over ``function``'s free
    variables, ``__class__`` and the time manager with its routes, so that names,
    closures and zero-argument ``super()`` still resolve."""
    code = function.__code__
    maker = ast.FunctionDef(
        name="_control_sim_make",
        args=ast.arguments(posonlyargs=[],
                           args=[ast.arg(arg=n) for n in _maker_freevars(code) +
                                 [_TM_NAME, _ROUTES_NAME]],
                           kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[fn_node, ast.Return(value=ast.Name(id=fn_node.name, ctx=ast.Load()))],
        decorator_list=[], returns=None, type_params=[])
    module = ast.Module(body=[maker], type_ignores=[])
    ast.fix_missing_locations(module)
    ast.increment_lineno(module, code.co_firstlineno - 1)
    return compile(module, code.co_filename, "exec")


def _make(function, maker, holder):
    """The rewritten ``function`` for ``holder``: the compiled ``maker`` run in
    ``function``'s globals with its closure's values and ``__class__``."""
    code = function.__code__
    namespace = {}
    exec(maker, function.__globals__, namespace)
    cells = list(function.__closure__ or ())
    values = [cells[k].cell_contents if k < len(cells) else _owner_class(function)
              for k in range(len(_maker_freevars(code)))]
    new = namespace["_control_sim_make"](*values, holder, getattr(holder, "routes", None))
    new.__defaults__ = function.__defaults__
    new.__kwdefaults__ = function.__kwdefaults__
    new.__wrapped_kernel__ = function
    return new


def _owner_class(function):
    """The class whose body defines ``function`` (for ``super()``), or None."""
    qualname = function.__qualname__.split(".")
    module = inspect.getmodule(function)
    obj = module
    for part in qualname[:-1]:
        if part == "<locals>":
            return None
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj if isinstance(obj, type) else None
