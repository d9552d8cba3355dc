"""Helpers for tests that run the project under a real ARTIQ master (not a test file).

:class:`Master` starts ``artiq_master`` in a folder of its own, on private loopback ports,
with a repository, a device database and a dataset database; :class:`Notifications`
keeps live copies of the master's notifiers (``explist``, ``schedule``, ``datasets``, ...)
in a thread, the way a dashboard does. Both need ARTIQ and sipyco: import this module
only after ``pytest.importorskip("artiq")``.
"""
import asyncio
import copy
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
PORT_NAMES = ("notify", "control", "logging", "broadcast")
READY = "ARTIQ master is now ready."


def free_ports(n, host=HOST):
    """``n`` distinct TCP ports free on ``host`` right now (the OS picks them)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def write_calibrations(system, path):
    """A fresh LMDB dataset database at ``path`` holding ``system``'s starting
    calibrations (its simulated twin's), as ``artiq_master`` reads them.

    Written by ``control calibrations --system S --dataset-db FILE --from sim``, the
    command a lab uses."""
    command = [sys.executable, "-m", "control.cli", "calibrations", "--system", system,
               "--dataset-db", str(path), "--from", "sim"]
    out = subprocess.run(command, cwd=os.path.dirname(str(path)), env=_subprocess_env(),
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise MasterError("{} failed (status {}):\n{}{}".format(
            " ".join(command), out.returncode, out.stdout, out.stderr))
    return path


def _subprocess_env():
    env = dict(os.environ, PYTHONUNBUFFERED="1", MPLBACKEND="Agg")
    # The master and its workers import this checkout (control, drivers, kernels),
    # whatever else is installed.
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


class MasterError(AssertionError):
    pass


class Master:
    """A real ``artiq_master`` in ``folder`` (its working folder: ``results/`` lands
    there), bound to loopback only on four private ports.

    ``repository``: the experiments folder (plain files, no git); ``device_db``: a device
    database file; ``dataset_db``: an LMDB file. Use as a context manager, or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, folder, repository, device_db, dataset_db, startup_timeout=60):
        self.folder = str(folder)
        self.repository = str(repository)
        self.device_db = str(device_db)
        self.dataset_db = str(dataset_db)
        self.startup_timeout = startup_timeout
        self.log_path = os.path.join(self.folder, "master.log")
        self.process = None
        self.ports = None
        self.host = HOST
        self._log = None

    # --- life cycle -------------------------------------------------------------------

    def start(self, attempts=3):
        """Start the master and return once it serves all four ports. A port taken
        between choosing it and binding it is retried with new ports."""
        executable = shutil.which("artiq_master")
        if executable is None:
            raise MasterError("artiq_master is not on PATH")
        for _attempt in range(attempts):
            self.ports = dict(zip(PORT_NAMES, free_ports(len(PORT_NAMES))))
            command = [executable, "--no-localhost-bind", "--bind", self.host,
                       "--device-db", self.device_db, "--dataset-db", self.dataset_db,
                       "-r", self.repository]
            for name, port in self.ports.items():
                command += ["--port-" + name, str(port)]
            if self._log is not None:
                self._log.close()
            self._log = open(self.log_path, "ab")
            self._log.write("$ {}\n".format(" ".join(command)).encode())
            self._log.flush()
            start = len(self.log())
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=_subprocess_env(), stdin=subprocess.DEVNULL,
                stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                text = self.log()[start:]
                if READY in text and self._accepts(self.ports["notify"]):
                    return self
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
            else:
                self.stop()
                raise MasterError("artiq_master was not ready after {} s\n{}".format(
                    self.startup_timeout, self.log_tail()))
            text = self.log()[start:]
            if "address already in use" not in text.lower():
                raise MasterError("artiq_master exited with status {} at start\n{}".format(
                    self.process.returncode, self.log_tail()))
        raise MasterError("artiq_master found no free ports in {} attempts\n{}".format(
            attempts, self.log_tail()))

    def _accepts(self, port):
        try:
            with socket.create_connection((self.host, port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self, timeout=15):
        """Terminate the master (SIGTERM: it stops its workers and saves its datasets),
        wait, and kill its process group if it does not exit in ``timeout`` s. Returns
        the exit status."""
        p = self.process
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                self._log_note("did not exit {} s after SIGTERM: killed".format(timeout))
                try:
                    os.killpg(p.pid, signal.SIGKILL)  # the master and its workers
                except ProcessLookupError:
                    pass
                p.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        return None if p is None else p.returncode

    def _log_note(self, text):
        if self._log is not None:
            self._log.write("[artiqlab] {}\n".format(text).encode())
            self._log.flush()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    # --- the log ----------------------------------------------------------------------

    def log(self):
        """Everything the master (and its workers, which log through it) printed."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=120):
        text = self.log().rstrip().splitlines()
        head = "--- artiq_master log ({}{}) ---".format(
            self.log_path, ", last {} lines".format(lines) if len(text) > lines else "")
        return "\n".join([head] + text[-lines:] + ["--- end of log ---"])

    def skipped_files(self):
        """The repository scan's "Skipping file" warnings, each with the exception the
        scan's worker logged for that file just before (its "Terminating with exception"
        line, and the frame of the experiment file and the innermost frame)."""
        lines = self.log().splitlines()
        out = []
        for i, line in enumerate(lines):
            m = re.search(r"Skipping file '(.*)'", line)
            if m is None:
                continue
            block = []
            marker = "worker(scan,{})".format(os.path.basename(m.group(1)))
            for j in range(i - 1, -1, -1):
                if marker in lines[j] and "Terminating with exception" in lines[j]:
                    block = lines[j:i]
                    break
                if "Skipping file" in lines[j]:
                    break
            frames = [k for k, b in enumerate(block) if b.strip().startswith("File ")]
            keep = [block[0]] if block else []
            own = [k for k in frames if os.path.basename(m.group(1)) in block[k]]
            for k in sorted(set(own[:1] + frames[-1:])):
                keep.append(block[k].strip() + ": " + (
                    block[k + 1].strip() if k + 1 < len(block) else ""))
            out.append("\n".join([line] + ["    " + b for b in keep]))
        return out

    def worker_failure(self, rid):
        """The scheduler's "got worker exception in ... stage" line for ``rid`` (None
        if its build, prepare, run and analyze all succeeded, as far as the log says)."""
        pattern = re.compile(r"got worker exception in \w+ stage.*RID {}\b".format(rid))
        for line in self.log().splitlines():
            if pattern.search(line):
                return line
        return None

    # --- clients ----------------------------------------------------------------------

    def client(self, *arguments, timeout=60, check=True):
        """Run ``artiq_client`` against this master's control port; its stdout."""
        executable = shutil.which("artiq_client")
        if executable is None:
            raise MasterError("artiq_client is not on PATH")
        command = [executable, "-s", self.host, "--port", str(self.ports["control"])]
        command += [str(a) for a in arguments]
        try:
            out = subprocess.run(command, cwd=self.folder, env=_subprocess_env(),
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise MasterError("{} timed out after {} s\n{}".format(
                " ".join(command), timeout, self.log_tail())) from None
        if check and out.returncode != 0:
            raise MasterError("{} failed (status {}):\n{}{}\n{}".format(
                " ".join(command), out.returncode, out.stdout, out.stderr,
                self.log_tail()))
        return out.stdout

    def submit(self, file, class_name, arguments, repository=True, timeout=60):
        """``artiq_client submit`` one experiment; its RID. ``arguments`` are Python
        values, sent as PYON as the client expects (``name=PYON``): a PYONValue argument
        travels as PYON text, so give it as a string already encoded."""
        from sipyco import pyon
        command = ["submit", "-c", class_name]
        if repository:
            command.append("-R")
        command.append(file)
        command += ["{}={}".format(k, pyon.encode(v)) for k, v in arguments.items()]
        out = self.client(*command, timeout=timeout)
        m = re.search(r"RID:\s*(\d+)", out)
        if m is None:
            raise MasterError("artiq_client submit printed no RID: {!r}\n{}".format(
                out, self.log_tail()))
        return int(m.group(1))

    def notifications(self, names, timeout=20):
        """A :class:`Notifications` on this master's notify port (close it after)."""
        return Notifications(self.host, self.ports["notify"], names, timeout=timeout,
                             master=self)

    def result_file(self, rid):
        """The HDF5 file of ``rid``: ``results/DATE/HOUR/RID-Class.h5`` (None if none)."""
        found = glob.glob(os.path.join(self.folder, "results", "*", "*",
                                       "{:09d}-*.h5".format(rid)))
        return found[0] if found else None


class Notifications:
    """Live copies of some of a master's notifiers (``structs[name]``), kept up to date
    by sipyco ``Subscriber``\\ s in an asyncio loop on a thread of their own, as a
    dashboard keeps them. Callbacks and predicates run in that thread, between mods,
    so they see consistent structures; copy what you keep."""

    def __init__(self, host, port, names, timeout=20, master=None):
        from sipyco.sync_struct import Subscriber
        self.master = master
        self.structs = {}
        self.disconnected = []
        self._listeners = []
        self._subscribers = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="artiq-notifications")
        self._thread.start()

        async def connect():
            for name in names:
                sub = Subscriber(name, self._builder(name), self._notify(name),
                                 lambda name=name: self.disconnected.append(name))
                await sub.connect(host, port)
                self._subscribers.append(sub)

        try:
            asyncio.run_coroutine_threadsafe(connect(), self._loop).result(timeout)
            # Each subscriber's first message is the whole structure.
            self.wait(lambda s: all(n in s for n in names), timeout,
                      "the initial copy of {}".format(", ".join(names)))
        except BaseException:
            self.close()
            raise

    def _builder(self, name):
        def build(struct):
            self.structs[name] = struct
            return struct
        return build

    def _notify(self, name):
        def notify(mod):
            for listener in list(self._listeners):
                listener(name, mod)
        return notify

    def call(self, fn, timeout=20):
        """``fn()`` in the notifications' thread (between mods); its result."""
        async def run():
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def listen(self, listener):
        """Call ``listener(notifier_name, mod)`` after every mod from now on (in the
        notifications' thread)."""
        self.call(lambda: self._listeners.append(listener))
        return listener

    def unlisten(self, listener):
        self.call(lambda: self._listeners.remove(listener))

    def snapshot(self, name):
        """A deep copy of notifier ``name``'s structure as it is now."""
        return self.call(lambda: copy.deepcopy(self.structs[name]))

    def wait(self, predicate, timeout, what):
        """Wait until ``predicate(structs)`` is true (checked now and after every mod);
        its value. Raises ``MasterError`` naming ``what`` (with the master's log) after
        ``timeout`` s or if the master disconnects."""
        done = threading.Event()
        result = []

        def check(*_):
            if done.is_set():
                return
            try:
                value = predicate(self.structs)
            except (KeyError, IndexError, TypeError):
                value = None  # not there yet
            if value:
                result.append(value)
                done.set()
            elif self.disconnected:
                done.set()

        self.listen(check)
        try:
            self.call(check)
            deadline = time.monotonic() + timeout
            while not done.wait(0.2):
                if self.master is not None and not self.master.alive():
                    break
                if time.monotonic() > deadline:
                    break
        finally:
            self.unlisten(check)
        if result:
            return result[0]
        reason = "timed out after {} s".format(timeout)
        if self.disconnected:
            reason = "the master closed the notifier(s) {}".format(self.disconnected)
        elif self.master is not None and not self.master.alive():
            reason = "artiq_master exited with status {}".format(
                self.master.process.returncode)
        raise MasterError("waiting for {}: {}{}".format(
            what, reason, "\n" + self.master.log_tail() if self.master else ""))

    def close(self, timeout=10):
        if self._thread is None:
            return

        async def close_all():
            for sub in self._subscribers:
                try:
                    await sub.close()
                except Exception:
                    pass
        try:
            asyncio.run_coroutine_threadsafe(close_all(), self._loop).result(timeout)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
        self._thread = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Schedule:
    """Follows the master's ``schedule``: every RID seen and the statuses it went
    through. Start it before submitting, so no RID can come and go unseen."""

    def __init__(self, notifications):
        self.notifications = notifications
        self.statuses = {}  # rid -> [status, ...]

        def on_mod(name, mod):
            if name != "schedule":
                return
            if mod["action"] == "init":
                for rid, info in mod["struct"].items():
                    self.statuses.setdefault(rid, []).append(info.get("status"))
            elif mod["action"] == "setitem" and not mod["path"]:
                self.statuses.setdefault(mod["key"], []).append(
                    mod["value"].get("status"))
            elif mod["action"] == "setitem" and mod["key"] == "status":
                self.statuses.setdefault(mod["path"][0], []).append(mod["value"])

        notifications.listen(on_mod)
        # The copy taken at connection: RIDs already there.
        notifications.call(lambda: on_mod("schedule", {
            "action": "init", "struct": notifications.structs["schedule"]}))

    def wait_done(self, rid, timeout):
        """Wait until ``rid`` has been scheduled and left the schedule (done, failed or
        deleted); the statuses it went through."""
        statuses = self.statuses

        def gone(structs):
            if rid in statuses and rid not in structs["schedule"]:
                return list(statuses[rid])
        try:
            return self.notifications.wait(gone, timeout,
                                           "RID {} to leave the schedule".format(rid))
        except MasterError as e:
            raise MasterError("{} (statuses seen: {})".format(
                e, self.notifications.call(lambda: list(statuses.get(rid, []))))) from None


class DatasetHistory:
    """Every value the master broadcast for datasets whose key starts with one of
    ``prefixes``, in order: ``values[key]`` is a list of copies, one per mod."""

    def __init__(self, notifications, prefixes):
        self.notifications = notifications
        self.prefixes = tuple(prefixes)
        self._values = {}

        def on_mod(name, mod):
            if name != "datasets" or mod["action"] == "init":
                return
            key = mod["path"][0] if mod["path"] else mod["key"]
            if not key.startswith(self.prefixes):
                return
            entry = notifications.structs["datasets"].get(key)
            if entry is not None:  # (persist, value, metadata)
                self._values.setdefault(key, []).append(copy.deepcopy(entry[1]))

        self._listener = notifications.listen(on_mod)

    def values(self):
        return self.notifications.call(lambda: copy.deepcopy(self._values))

    def close(self):
        self.notifications.unlisten(self._listener)


def experiment_arguments(path):
    """``{class name: [argument names]}`` for the public experiment classes a file
    defines (top-level classes deriving from ``...Experiment``, not ``_``-prefixed), read
    with ``ast`` without importing it. An argument is the literal first argument of a
    ``setattr_argument``/``get_argument`` call in the class, or in a project function the
    class calls (followed through the file's imports: ``systems.setattr_system(self)``
    requests what ``drivers/systems/__init__.py``'s ``setattr_system`` does)."""
    import ast
    tree = ast.parse(open(path).read(), path)
    imports = _imports(tree)
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
                 for b in node.bases]
        if not any(b.endswith("Experiment") for b in bases):
            continue
        names = []
        _collect_arguments(node, imports, names, set())
        out[node.name] = list(dict.fromkeys(names))
    return out


_ARGUMENT_CALLS = ("setattr_argument", "get_argument")


def _imports(tree):
    """``{local name: (module, attribute or None)}`` of a module's top-level imports."""
    import ast
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = (a.name, None)
                else:
                    out[a.name.split(".")[0]] = (a.name.split(".")[0], None)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                out[a.asname or a.name] = (node.module, a.name)
    return out


def _module_file(module):
    """The file of a project module (under ROOT), or None for anything else."""
    base = os.path.join(ROOT, *module.split("."))
    for candidate in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _resolve(func, imports):
    """The project function a call's ``func`` names: ``(file, function name)`` or None."""
    import ast
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        target = imports.get(func.value.id)  # module.function
        if target is None:
            return None
        module = target[0] if target[1] is None else target[0] + "." + target[1]
        path = _module_file(module)
        return (path, func.attr) if path else None
    if isinstance(func, ast.Name) and func.id in imports:
        module, attr = imports[func.id]  # from module import function
        path = _module_file(module) if attr else None
        return (path, attr) if path else None
    return None


def _collect_arguments(node, imports, names, seen):
    import ast
    calls = [c for c in ast.walk(node) if isinstance(c, ast.Call)]
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset)):  # source order
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in _ARGUMENT_CALLS:
            if call.args and isinstance(call.args[0], ast.Constant) and \
                    isinstance(call.args[0].value, str):
                names.append(call.args[0].value)
            continue
        target = _resolve(func, imports)
        if target is None or target in seen:
            continue
        seen.add(target)
        path, function = target
        tree = ast.parse(open(path).read(), path)
        for definition in tree.body:
            if isinstance(definition, ast.FunctionDef) and definition.name == function:
                _collect_arguments(definition, _imports(tree), names, seen)
