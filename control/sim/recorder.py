"""Signal events: recorded in program order, released in time order.

Every output change of a simulated device is an event ``(time_mu, signal, value)``. Kernels
submit events in program order, which is not time order (``parallel``, ``at_mu``). An
event older than the CPU estimate of the slack model can no longer be preceded by a new
one (that one would underflow), so the recorder releases, in time order, everything older
than that watermark: to the VCD file, to subscribers (the ion model) and to the history
that ``peek``/``events`` read. Pending events sit in three flat lists, released events in
numpy chunks, and the history keeps at most ``history_limit`` events (the oldest chunks go
first), so memory stays bounded however long the run.
"""
import logging
import os

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["Signal", "Recorder", "HistoryTruncated"]

KINDS = ("bool", "int", "real")


class HistoryTruncated(LookupError):
    """The events asked for were dropped from the bounded history."""


class Signal:
    """One recorded quantity of a device (``ttl0.state``, ``urukul0_ch1.frequency``)."""
    __slots__ = ("id", "device", "name", "kind", "size", "init")

    def __init__(self, sid, device, name, kind, size, init):
        if kind not in KINDS:
            raise ValueError("signal kind must be one of {}, not {!r}".format(KINDS, kind))
        self.id, self.device, self.name = sid, device, name
        self.kind, self.size, self.init = kind, size, init

    def __repr__(self):
        return "<Signal {}.{} ({})>".format(self.device, self.name, self.kind)


class Recorder:
    """Event store with time-ordered release, VCD output and a bounded history."""

    def __init__(self, vcd_path=None, ref_period=1e-9, history_limit=2_000_000,
                 flush_every=65_536):
        self.vcd_path = vcd_path
        self.ref_period = ref_period
        self.history_limit = history_limit
        self.flush_every = flush_every
        self.next_flush = flush_every  # pending count at which outputs trigger a release
        self.signals = []
        self._by_name = {}
        self.subscribers = []
        # pending, in program order
        self._t, self._s, self._v = [], [], []
        # released, in time order
        self._chunks = []
        self._history_len = 0
        self.history_start = 0   # events before this time were dropped from the history
        self.released_until = None
        self.late_events = 0
        self.event_count = 0
        self._vcd = None
        self._vcd_file = None
        self._vcd_vars = {}
        self._last_vcd_value = {}
        self._vcd_last_time = 0
        self._vcd_format = {}  # (signal id, value) -> its VCD text

    # ---- signals

    def signal(self, device, name, kind="real", size=None, init=None):
        """Register (or find) a signal; returns it. ``size`` is the VCD bit width of an
        ``int`` signal."""
        key = (device, name)
        if key in self._by_name:
            return self._by_name[key]
        sig = Signal(len(self.signals), device, name, kind,
                     size or (1 if kind == "bool" else 64), init)
        self.signals.append(sig)
        self._by_name[key] = sig
        return sig

    def find(self, device, name):
        """The signal ``name`` of ``device``; a ``KeyError`` listing the recorded ones."""
        try:
            return self._by_name[(device, name)]
        except KeyError:
            known = sorted("{}.{}".format(d, n) for d, n in self._by_name)
            raise KeyError("no recorded signal {}.{}; recorded: {}".format(
                device, name, ", ".join(known) or "none")) from None

    # ---- recording

    def record(self, time_mu, sid, value):
        """One event (the hot path: three list appends)."""
        self._t.append(time_mu)
        self._s.append(sid)
        self._v.append(value)

    def maybe_release(self, watermark):
        """:meth:`release` up to ``watermark``, once ``flush_every`` events are pending."""
        if len(self._t) >= self.flush_every:
            self.release(watermark)

    def release(self, watermark=None):
        """Release pending events older than ``watermark`` (all when ``None``), in time
        order, to the VCD file, the subscribers and the history."""
        if not self._t:
            return
        t = np.fromiter(self._t, dtype=np.int64, count=len(self._t))
        s = np.fromiter(self._s, dtype=np.int32, count=len(self._s))
        v = np.array(self._v, dtype=np.float64)
        if watermark is None:
            keep = np.zeros(len(t), dtype=bool)
        else:
            keep = t >= watermark
        if keep.any():
            idx = np.flatnonzero(keep)
            self._t = t[idx].tolist()
            self._s = s[idx].tolist()
            self._v = v[idx].tolist()
            go = ~keep
            t, s, v = t[go], s[go], v[go]
        else:
            self._t, self._s, self._v = [], [], []
        if not len(t):
            return
        order = np.argsort(t, kind="stable")
        t, s, v = t[order], s[order], v[order]
        if self.released_until is not None and t[0] < self.released_until:
            late = int(np.count_nonzero(t < self.released_until))
            self.late_events += late
            logger.warning("%d event(s) submitted for times already released (before %d "
                           "mu); the waveform and the ion model see them late", late,
                           self.released_until)
        self.released_until = int(t[-1]) if self.released_until is None \
            else max(self.released_until, int(t[-1]))
        self.event_count += len(t)
        for callback in self.subscribers:
            callback(t, s, v)
        self._write_vcd(t, s, v)
        self._remember(t, s, v)

    def _remember(self, t, s, v):
        self._chunks.append((t, s, v))
        self._history_len += len(t)
        while self._history_len > self.history_limit and len(self._chunks) > 1:
            old = self._chunks.pop(0)
            self._history_len -= len(old[0])
            self.history_start = int(self._chunks[0][0][0])

    # ---- reading back

    def _history(self, sid=None):
        if not self._chunks:
            return (np.empty(0, np.int64), np.empty(0, np.float64))
        t = np.concatenate([c[0] for c in self._chunks])
        s = np.concatenate([c[1] for c in self._chunks])
        v = np.concatenate([c[2] for c in self._chunks])
        if sid is not None:
            sel = s == sid
            t, v = t[sel], v[sel]
        return t, v

    def events(self, device, name=None):
        """Released events of a device (or one of its signals), in time order: a list of
        ``(time_mu, signal_name, value)``."""
        sigs = [sig for sig in self.signals if sig.device == device
                and (name is None or sig.name == name)]
        if not sigs:
            self.find(device, name or "?")
        out = []
        for sig in sigs:
            t, v = self._history(sig.id)
            out.extend((int(ti), sig.name, _typed(sig, vi)) for ti, vi in zip(t, v))
        out.sort(key=lambda e: e[0])
        return out

    def peek(self, device, name, time_mu):
        """The value of a signal at ``time_mu`` (after every event at that time)."""
        sig = self.find(device, name)
        if self.history_start and time_mu < self.history_start:
            raise HistoryTruncated("events before {} mu were dropped from the bounded "
                                   "history (history_limit={})".format(
                                       self.history_start, self.history_limit))
        t, v = self._history(sig.id)
        i = int(np.searchsorted(t, time_mu, side="right"))
        if i == 0:
            return sig.init
        return _typed(sig, v[i - 1])

    # ---- VCD

    def _open_vcd(self):
        from vcd import VCDWriter
        folder = os.path.dirname(self.vcd_path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._vcd_file = open(self.vcd_path, "w")
        ns = self.ref_period / 1e-9
        timescale = "{} ns".format(int(ns)) if ns >= 1 and float(ns).is_integer() \
            else "{} ps".format(int(round(self.ref_period / 1e-12)))
        self._vcd = VCDWriter(self._vcd_file, timescale=timescale,
                              comment="control simulated backend")
        for sig in self.signals:
            self._register_vcd(sig)

    def _register_vcd(self, sig):
        var_type = {"bool": "wire", "int": "integer", "real": "real"}[sig.kind]
        init = sig.init
        if sig.kind == "real":
            init = 0.0 if init is None else float(init)
        elif sig.kind == "bool":
            init = "x" if init is None else int(bool(init))
        else:
            init = "x" if init is None else int(init)
        try:
            self._vcd_vars[sig.id] = self._vcd.register_var(
                sig.device, sig.name, var_type, size=sig.size if sig.kind != "real" else 64,
                init=init)
        except Exception as exc:  # registration after time 0 (a device built late)
            logger.warning("signal %s.%s is not in the VCD: %s", sig.device, sig.name, exc)

    def _write_vcd(self, t, s, v):
        if self.vcd_path is None:
            return
        if self._vcd is None:
            self._open_vcd()
        writer = self._vcd
        if writer._registering or not writer._dumping:
            return self._write_vcd_slow(t, s, v)
        # pyvcd's ``VCDWriter.change`` unrolled for a batch of time-ordered changes once
        # the header is written (the same checks and the same text, written at once):
        # unchanged values are skipped, a timestamp line precedes the first change at a
        # new time, and each value is formatted by the variable itself (memoised).
        signals = self.signals
        vars_ = self._vcd_vars
        memo = self._vcd_format
        check = writer._check_values
        last = self._vcd_last_time
        ts = writer._timestamp
        dumped = writer._last_dumped_ts
        out = []
        append = out.append
        try:
            for ti, si, vi in zip(t.tolist(), s.tolist(), v.tolist()):
                var = vars_.get(si)
                if var is None or ti < last:
                    continue  # negative or late timestamps cannot go into a VCD
                last = ti
                if ti > ts:
                    ts = ti
                if signals[si].kind == "real":  # not memoised: 0.0 == -0.0
                    if vi == var.value:
                        continue
                    val_str = var.format_value(vi, check)
                else:
                    vi = int(vi)
                    if vi == var.value:
                        continue
                    key = (si, vi)
                    val_str = memo.get(key)
                    if val_str is None:
                        val_str = var.format_value(vi, check)
                        if len(memo) >= 65_536:
                            memo.clear()
                        memo[key] = val_str
                var.value = vi
                if ts != dumped:
                    dumped = ts
                    append("#{}\n{}\n".format(ts, val_str))
                else:
                    append(val_str + "\n")
        finally:
            writer._timestamp = ts
            writer._last_dumped_ts = dumped
            self._vcd_last_time = last
            if out:
                self._vcd_file.write("".join(out))

    def _write_vcd_slow(self, t, s, v):
        """Through ``VCDWriter.change``, event by event (while the header is open)."""
        change = self._vcd.change
        signals = self.signals
        vars_ = self._vcd_vars
        last = self._vcd_last_time
        for ti, si, vi in zip(t.tolist(), s.tolist(), v.tolist()):
            var = vars_.get(si)
            if var is None or ti < last:
                continue  # negative or late timestamps cannot go into a VCD
            kind = signals[si].kind
            change(var, ti, vi if kind == "real" else int(vi))
            last = ti
        self._vcd_last_time = last

    def close(self):
        """Release everything and close the VCD file."""
        self.release(None)
        if self._vcd is not None:
            self._vcd.close()
            self._vcd_file.close()
            self._vcd = None


def _typed(sig, value):
    if sig.kind == "bool":
        return bool(value)
    if sig.kind == "int":
        return int(value)
    return float(value)
