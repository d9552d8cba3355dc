"""Signal events: recorded in program order, released in time order.

Every output change of a simulated device is an event ``(time_mu, signal, value)``. Kernels
submit events in program order, which is not time order (``parallel``, ``at_mu``). An
event older than the CPU estimate of the slack model can no longer be preceded by a new
one (that one would underflow), so the recorder releases, in time order, everything older
than that watermark: to the VCD file, to subscribers (the ion model) and to the history
that ``peek``/``events`` read. Pending events sit in three flat lists, released events in
numpy chunks, and the history keeps at most ``history_limit`` events (the oldest chunks go
first), so memory stays bounded however long the run. The VCD file is written from
released batches queued until ``vcd_batch`` events wait (or everything is released, at
a kernel's end): the same text as batch by batch, with less numpy set-up per event.
"""
import logging
import os

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["Signal", "Recorder", "HistoryTruncated"]

KINDS = ("bool", "int", "real")
# Up to this many events pending, a release picks out what it releases in Python.
_FEW = 16


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
        self._vcd_text = {}  # (signal id, float value) -> its VCD line (batches in order)
        self._vcd_real_list = []
        # Released batches not yet written to the VCD: written together (see
        # ``_queue_vcd``), once ``vcd_batch`` events wait or everything is released.
        self.vcd_batch = 65_536
        self._vcd_queue = []
        self._vcd_queued = 0
        self._vcd_kinds = None  # per signal id: (in the VCD, real) as numpy bool arrays

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
        n = len(self._t)
        if not n:
            if watermark is None:
                self._flush_vcd()
            return
        if n <= _FEW and watermark is not None:
            # A handful pending (an input read soon after another): picked out in Python,
            # cheaper than numpy's set-up, when those released are in time order.
            times = self._t
            go = [k for k in range(n) if times[k] < watermark]
            released = [times[k] for k in go]
            if all(a <= b for a, b in zip(released, released[1:])):
                if not go:
                    return
                sids, values = self._s, self._v
                stay = [k for k in range(n) if times[k] >= watermark]
                self._t = [times[k] for k in stay]
                self._s = [sids[k] for k in stay]
                self._v = [values[k] for k in stay]
                self._dispatch(np.array(released, dtype=np.int64),
                               np.array([sids[k] for k in go], dtype=np.int32),
                               np.array([values[k] for k in go], dtype=np.float64), False)
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
        if len(t) > 1 and (t[1:] < t[:-1]).any():  # in program order, not time order
            order = np.argsort(t, kind="stable")
            t, s, v = t[order], s[order], v[order]
        self._dispatch(t, s, v, watermark is None)

    def _dispatch(self, t, s, v, final):
        """Hand a time-ordered batch of released events to the subscribers, the VCD and
        the history (``final``: nothing is pending any more)."""
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
        self._queue_vcd(t, s, v, final)
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

    def _queue_vcd(self, t, s, v, final):
        """Queue a released batch for the VCD; write the queue once it holds
        ``vcd_batch`` events or ``final`` (everything is released). The file is opened at
        the first release, as when each batch was written at once, so that its header
        lists the same signals; the text is the same whatever the batching (the writer
        goes through the events in release order), and a few large batches cost less
        numpy set-up than one per release."""
        if self.vcd_path is None:
            return
        if self._vcd is None:
            self._open_vcd()
        self._vcd_queue.append((t, s, v))
        self._vcd_queued += len(t)
        if final or self._vcd_queued >= self.vcd_batch:
            self._flush_vcd()

    def _flush_vcd(self):
        """Write the queued batches to the VCD: as one when their times are in order
        (no late events), else batch by batch."""
        queue = self._vcd_queue
        if not queue:
            return
        self._vcd_queue, self._vcd_queued = [], 0
        if len(queue) > 1:
            t = np.concatenate([batch[0] for batch in queue])
            if not np.any(t[1:] < t[:-1]):
                queue = [(t, np.concatenate([batch[1] for batch in queue]),
                          np.concatenate([batch[2] for batch in queue]))]
        for t, s, v in queue:
            self._write_vcd(t, s, v)

    def _write_vcd(self, t, s, v):
        """Write a time-ordered batch of released events to the VCD."""
        if self.vcd_path is None:
            return
        if self._vcd is None:
            self._open_vcd()
        writer = self._vcd
        if not writer._dumping:
            return self._write_vcd_slow(t, s, v)
        k, n = 0, len(t)
        while writer._registering and k < n:
            # pyvcd writes the header (initial values and changes at time 0 in it) at
            # the first change past time 0: its own ``change`` takes the events up to it.
            self._write_vcd_slow(t[k:k + 1], s[k:k + 1], v[k:k + 1])
            k += 1
        if k:
            t, s, v = t[k:], s[k:], v[k:]
        if not len(t):
            return
        if np.any(t[1:] < t[:-1]):
            return self._write_vcd_loop(t, s, v)
        self._write_vcd_sorted(t, s, v)

    def _write_vcd_sorted(self, t, s, v):
        """``_write_vcd_loop`` for a batch whose times never go back, with the skipped
        events found by numpy: a signal's event is skipped when it equals its previous
        event in the VCD (the value the variable holds then: a skipped event equals it),
        and late or unrecorded ones are those before the last time written or of a
        signal without a variable. Only the changes are formatted in Python."""
        writer = self._vcd
        vars_ = self._vcd_vars
        signals = self.signals
        kinds = self._vcd_kinds
        if kinds is None or len(kinds[0]) != len(signals):
            kinds = self._vcd_kinds = (
                np.array([sig.id in vars_ for sig in signals], dtype=bool),
                np.array([sig.kind == "real" for sig in signals], dtype=bool))
            self._vcd_real_list = kinds[1].tolist()
        in_vcd, real = kinds
        is_real_sig = self._vcd_real_list
        valid = in_vcd[s] & (t >= self._vcd_last_time)
        if not valid.all():
            t, s, v = t[valid], s[valid], v[valid]
            if not len(t):
                return
        is_real = real[s]
        # the compared value: the float of a real signal, int() of the others
        compared = np.where(is_real, v, np.trunc(v))
        order = _by_signal(s, len(signals))
        by_sig, by_value = s[order], compared[order]
        same = np.empty(len(t), dtype=bool)
        same[0] = False
        np.logical_and(by_sig[1:] == by_sig[:-1], by_value[1:] == by_value[:-1],
                       out=same[1:])
        firsts = np.flatnonzero(np.concatenate(([True], by_sig[1:] != by_sig[:-1])))
        for i, sid, value in zip(firsts.tolist(), by_sig[firsts].tolist(),
                                 by_value[firsts].tolist()):
            same[i] = value == vars_[sid].value
        changed = np.empty(len(t), dtype=bool)
        changed[order] = ~same
        last = int(t[-1])
        writer._timestamp = max(writer._timestamp, last)
        self._vcd_last_time = last
        if not changed.any():
            return
        tc, sc, vc = t[changed], s[changed], v[changed]
        # Each change's line by its (signal, value bits): numpy finds the distinct pairs
        # (one key a pair, checked to be one pair a key), each is formatted once.
        bits = vc.view(np.int64)
        keys = bits * 1_000_003 + sc
        first, inverse = _distinct(keys)
        line = self._vcd_line
        if (sc[first][inverse] == sc).all() and (bits[first][inverse] == bits).all():
            lines = np.array([line(si, vi) for si, vi in zip(sc[first].tolist(),
                                                             vc[first].tolist())],
                             dtype=object)[inverse]
        else:  # two pairs share a key: each change on its own
            lines = np.array([line(si, vi) for si, vi in zip(sc.tolist(), vc.tolist())],
                             dtype=object)
        # a timestamp line before the first change at each new time
        new = np.empty(len(tc), dtype=bool)
        new[0] = int(tc[0]) != writer._last_dumped_ts
        np.not_equal(tc[1:], tc[:-1], out=new[1:])
        at = np.flatnonzero(new)
        lines[at] = [f"#{ti}\n{text}" for ti, text in zip(tc[at].tolist(),
                                                          lines[at].tolist())]
        self._vcd_file.write("".join(lines.tolist()))
        writer._last_dumped_ts = int(tc[-1])
        # each variable holds its last value written
        backwards = sc[::-1]
        order = _by_signal(backwards, len(signals))
        in_order = backwards[order]
        heads = np.empty(len(in_order), dtype=bool)
        heads[0] = True
        np.not_equal(in_order[1:], in_order[:-1], out=heads[1:])
        last = len(tc) - 1 - order[heads]  # each signal's first backwards: its last
        for si, vi in zip(in_order[heads].tolist(), vc[last].tolist()):
            vars_[si].value = vi if is_real_sig[si] else int(vi)

    def _vcd_line(self, si, vi):
        """The VCD line of value ``vi`` (a float) of signal ``si``, as its variable's
        ``format_value`` writes it (memoised by (signal, value), an int signal's float
        key equal to its int; never a real zero: 0.0 == -0.0 as keys, "r0" != "r-0")."""
        texts = self._vcd_text
        text = texts.get((si, vi))
        if text is None:
            if self._vcd_real_list[si]:  # RealVariable.format_value of a float
                text = "r{:.16g} {}\n".format(vi, self._vcd_vars[si].ident)
                if not vi:
                    return text
            else:
                text = self._vcd_vars[si].format_value(int(vi), self._vcd._check_values) \
                    + "\n"
            if len(texts) >= 65_536:
                texts.clear()
            texts[(si, vi)] = text
        return text

    def _write_vcd_loop(self, t, s, v):
        """Event by event, pyvcd's ``VCDWriter.change`` unrolled (once the header is
        written)."""
        writer = self._vcd
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


def _by_signal(sids, count):
    """The stable order of signal ids ``sids`` (``count`` signals): radix-sorted as small
    unsigned ints when they fit (numpy's stable sort of 8- and 16-bit ints)."""
    if count <= 1 << 8:
        sids = sids.astype(np.uint8)
    elif count <= 1 << 16:
        sids = sids.astype(np.uint16)
    return np.argsort(sids, kind="stable")


def _distinct(keys):
    """``(first, inverse)`` of the distinct values of ``keys``: an index of each (in
    sorted order of the values) and, for each key, which of them it is (as
    ``np.unique``'s, with any index of a value as its representative)."""
    order = np.argsort(keys)
    in_order = keys[order]
    heads = np.empty(len(keys), dtype=bool)
    heads[0] = True
    np.not_equal(in_order[1:], in_order[:-1], out=heads[1:])
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = np.cumsum(heads) - 1
    return order[heads], inverse


def _typed(sig, value):
    if sig.kind == "bool":
        return bool(value)
    if sig.kind == "int":
        return int(value)
    return float(value)
