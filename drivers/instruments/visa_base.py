"""Mechanics shared by the VISA instrument drivers.

Opening a resource (with clear errors for a wrong resource string or backend),
explicit terminations and timeouts, retry with back-off on timeouts, parsing of
replies, error-queue checks around every setting, and an idempotent
``close()``. Each driver subclass only says which commands its instrument uses.

Drivers are not thread-safe: as in ARTIQ, one controller process owns one
instrument and serves one request at a time.
"""
import logging
import math
import os
import time

import pyvisa
from pyvisa import constants, rname

from .errors import (InstrumentConnectionError, InstrumentDriverError,
                     InstrumentError, InstrumentReplyError, InstrumentTimeout)

logger = logging.getLogger(__name__)

SIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sim")


def sim_file(name):
    """Path of a pyvisa-sim definition file shipped in ``drivers/instruments/sim``."""
    return os.path.join(SIM_DIR, name)


def fresh_sim_file(name):
    """A private copy of a shipped simulation file. pyvisa-sim keeps one instrument state
    per file path for the whole process; a copy per driver is a freshly powered
    instrument, so one run's settings never leak into the next."""
    import shutil
    import tempfile
    folder = tempfile.mkdtemp(prefix="control-visa-sim-")
    path = os.path.join(folder, name)
    shutil.copy(sim_file(name), path)
    return path


class VisaInstrument:
    """Base of the drivers: one VISA resource, opened in the constructor.

    Subclasses set the class attributes below (and override
    ``_error_is_empty`` if the error queue is not SCPI-like). Settings go
    through ``_send_setting`` so the error queue is read before and after each
    of them.
    """

    #: File in ``sim/`` used by ``simulation=True``.
    SIM_FILE: str | None = None
    #: Resource used by ``simulation=True`` when no resource is given.
    SIM_RESOURCE: str | None = None
    #: Query that makes the instrument identify itself (used on open and by ping()).
    IDN_QUERY = "*IDN?"
    #: Query that pops one entry of the instrument's error queue.
    ERROR_QUERY = "SYST:ERR?"
    READ_TERMINATION = "\n"
    WRITE_TERMINATION = "\n"
    #: Reads of the error queue before giving up emptying it (a stuck queue).
    MAX_ERRORS = 32

    def __init__(self, resource=None, backend="", simulation=False, timeout=2.0,
                 attempts=3, retry_delay=0.1, read_termination=None,
                 write_termination=None):
        """Open ``resource`` and check that an instrument answers there.

        :param resource: VISA resource string, e.g. ``"TCPIP0::10.0.0.5::inst0::INSTR"``;
            may be omitted with ``simulation=True``.
        :param backend: pyvisa backend: ``""`` for the default VISA library,
            ``"@py"`` for pyvisa-py, ``"path/to.yaml@sim"`` for pyvisa-sim.
        :param simulation: use the pyvisa-sim file shipped with the driver
            (then leave ``backend`` empty).
        :param timeout: seconds to wait for each reply.
        :param attempts: tries of a command that times out before giving up.
        :param retry_delay: seconds before the first retry, doubled for each further one.
        :param read_termination: defaults to the instrument's (``READ_TERMINATION``).
        :param write_termination: defaults to the instrument's (``WRITE_TERMINATION``).
        """
        if simulation:
            if backend:
                raise ValueError(
                    "{}: give either simulation=True (uses the shipped simulation file) "
                    "or backend={!r}, not both".format(type(self).__name__, backend))
            backend = fresh_sim_file(self.SIM_FILE) + "@sim"
            self._sim_copy = os.path.dirname(backend[:-len("@sim")])
            if resource is None:
                resource = self.SIM_RESOURCE
        if not resource:
            raise ValueError("{}: a VISA resource string is required unless simulation=True"
                             .format(type(self).__name__))
        if attempts < 1:
            raise ValueError("{}: attempts must be at least 1, not {!r}".format(resource, attempts))
        if not timeout > 0:
            raise ValueError("{}: timeout must be positive, not {!r} s".format(resource, timeout))
        self.resource = resource
        self.backend = backend
        self.timeout = float(timeout)
        self.attempts = int(attempts)
        self.retry_delay = float(retry_delay)
        self.read_termination = (self.READ_TERMINATION if read_termination is None
                                 else read_termination)
        self.write_termination = (self.WRITE_TERMINATION if write_termination is None
                                  else write_termination)
        self._rm = None
        self._inst = None
        self.identity = None
        self._open()
        try:
            self.identity = self._identify()
            for error in self._drain_errors():
                logger.warning("%s: error left in the queue before this driver opened it: %s",
                               self.resource, error)
        except BaseException:
            self.close()
            raise

    # --- opening and closing

    def _open(self):
        try:
            parsed = rname.parse_resource_name(self.resource)
        except rname.InvalidResourceName as e:
            raise InstrumentConnectionError(
                "{!r} is not a valid VISA resource string ({}); expected e.g. "
                "'TCPIP0::192.168.1.10::inst0::INSTR', 'USB0::0x0957::0x1F01::MY123::INSTR' "
                "or 'ASRL1::INSTR'".format(self.resource, e)) from e
        try:
            rm = pyvisa.ResourceManager(self.backend)
        except Exception as e:
            raise InstrumentConnectionError(
                "cannot load VISA backend {!r} to open resource {!r}: {}"
                .format(self.backend, self.resource, e)) from e
        # The resource manager is never closed here, even on failure: pyvisa
        # shares one session per backend, and closing it would close other
        # drivers' resources.
        if self.backend.endswith("@sim"):
            # pyvisa-sim "opens" any resource and then answers nothing;
            # it lists all it simulates, so check the list instead.
            available = rm.list_resources("?*")
            if str(parsed) not in available:
                raise InstrumentConnectionError(
                    "resource {!r} is not simulated by {!r}; available resources: {}"
                    .format(self.resource, self.backend, ", ".join(available) or "none"))
        try:
            inst = rm.open_resource(
                self.resource, read_termination=self.read_termination,
                write_termination=self.write_termination,
                timeout=int(round(self.timeout * 1000)))
        except Exception as e:
            raise InstrumentConnectionError(
                "cannot open resource {!r} with backend {!r}: {}; available resources: {}"
                .format(self.resource, self.backend or "default", e,
                        _list_resources(rm))) from e
        self._rm = rm
        self._inst = inst

    def _identify(self):
        reply = self._query(self.IDN_QUERY)
        if not reply:
            raise InstrumentConnectionError(
                "nothing answered the identity query {!r} at resource {!r} (empty reply); "
                "available resources: {}".format(self.IDN_QUERY, self.resource,
                                                 _list_resources(self._rm)))
        logger.info("%s: connected to %s", self.resource, reply)
        return reply

    def close(self):
        """Release the resource. Safe to call more than once.

        Closing leaves the instrument's outputs as they are: a controller that
        restarts must not switch off trap RF or the oven. Only the resource is
        closed, not the resource manager: pyvisa shares its session between
        all drivers using the same backend.
        """
        inst = self._inst
        self._inst = self._rm = None
        if inst is not None:
            inst.close()
        sim_copy = getattr(self, "_sim_copy", None)
        if sim_copy is not None:
            import shutil
            shutil.rmtree(sim_copy, ignore_errors=True)
            self._sim_copy = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def ping(self):
        """True if the instrument answers its identity query (ARTIQ controller convention)."""
        try:
            return bool(self._identify())
        except InstrumentDriverError:
            return False

    # --- I/O with retries

    def _transact(self, command, operation):
        """Run ``operation()`` (a write or query of ``command``), retrying on timeouts."""
        if self._inst is None:
            raise InstrumentConnectionError(
                "{}: cannot send {!r}: the driver is closed".format(self.resource, command))
        last = None
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except pyvisa.errors.VisaIOError as e:
                if e.error_code != constants.StatusCode.error_timeout:
                    raise InstrumentConnectionError(
                        "{}: VISA I/O error on {!r}: {}".format(self.resource, command, e)) from e
                last = e
                logger.warning("%s: timeout on %r (attempt %d of %d)",
                               self.resource, command, attempt, self.attempts)
                if attempt < self.attempts:
                    self._clear_quietly()
                    time.sleep(self.retry_delay * 2 ** (attempt - 1))
        raise InstrumentTimeout(
            "{}: no answer to {!r} within {:g} s, {} attempt(s); check the resource, the "
            "cable and the terminations (read {!r}, write {!r})".format(
                self.resource, command, self.timeout, self.attempts,
                self.read_termination, self.write_termination)) from last

    def _clear_quietly(self):
        """Discard a late reply so that it is not read as the reply to the retry."""
        try:
            self._inst.clear()
        except Exception:
            pass

    def _write(self, command):
        self._transact(command, lambda: self._inst.write(command))

    def _query(self, command):
        return self._transact(command, lambda: self._inst.query(command)).strip()

    def _query_float(self, command):
        reply = self._query(command)
        try:
            value = float(reply)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InstrumentReplyError(
                "{}: reply {!r} to {!r} is not a number".format(self.resource, reply, command))
        return value

    def _query_bool(self, command):
        reply = self._query(command)
        value = {"1": True, "ON": True, "0": False, "OFF": False}.get(reply.upper())
        if value is None:
            raise InstrumentReplyError(
                "{}: reply {!r} to {!r} is not an on/off state (1/0/ON/OFF)"
                .format(self.resource, reply, command))
        return value

    # --- error queue

    def _error_is_empty(self, reply):
        """True if ``reply`` to ERROR_QUERY means "no error"; raise
        InstrumentReplyError if it cannot be read.

        The default reads SCPI entries such as ``+0,"No error"`` or
        ``-222,"Data out of range"``: code 0 means the queue is empty.
        Instruments with another format override this.
        """
        code = reply.split(",", 1)[0].strip()
        try:
            return int(code) == 0
        except ValueError:
            raise InstrumentReplyError(
                "{}: reply {!r} to {!r} is not an error-queue entry ('<code>,<text>')"
                .format(self.resource, reply, self.ERROR_QUERY)) from None

    def _drain_errors(self):
        """Read the error queue until it is empty; return the errors found."""
        errors = []
        for _ in range(self.MAX_ERRORS):
            reply = self._query(self.ERROR_QUERY)
            if self._error_is_empty(reply):
                return errors
            errors.append(reply)
        errors.append("(queue still not empty after {} reads of {!r})"
                      .format(self.MAX_ERRORS, self.ERROR_QUERY))
        return errors

    def _send_setting(self, command):
        """Send a setting and raise InstrumentError if the instrument reports an error.

        The queue is also read before sending, so that an error left by an
        earlier command is not blamed on this one and nothing is sent on top of it.
        """
        stale = self._drain_errors()
        if stale:
            raise InstrumentError(
                "{}: did not send {!r}: the instrument's error queue held errors from an "
                "earlier command: {} (now read and cleared)".format(
                    self.resource, command, "; ".join(stale)))
        self._write(command)
        errors = self._drain_errors()
        if errors:
            raise InstrumentError(
                "{}: the instrument reported an error after {!r}: {}".format(
                    self.resource, command, "; ".join(errors)))


def _list_resources(rm):
    try:
        return ", ".join(rm.list_resources("?*")) or "none found"
    except Exception as e:
        return "could not be listed ({})".format(e)

