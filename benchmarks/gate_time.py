"""What the abstraction costs in kernel time: the RISC-V instructions the core device CPU
executes per gate, through the HAL against the flat hand-written kernel and against the
HAL with ``kernel_invariants`` emptied. Needs ARTIQ (its compiler, RISC-V, no hardware)
and ``unicorn`` (a CPU emulator, the ``bench`` extra); without them it says so and exits 0.

The kernels are those of ``benchmarks/kernel_cost.py`` — (a) ``hal_gate_path``, (b) the
trap's flat kernel, (b') the flat kernel with the HAL's data layout, (c1)/(c2) (a) with
the project's / all ``kernel_invariants`` emptied —
compiled the same way (``Core.run`` on a core without host, ELF dumped). Each ELF (a
RISC-V shared object, which ARTIQ's kernel loader links at run time) is loaded here as
that loader would: its segments mapped, its relocations applied, its imports bound to
stubs that do their work in Python and return (``rtio_output`` records ``(now, target,
data)``, ``now`` is ARTIQ's two-word global: high word at +0, low word at +8;
``rtio_get_counter`` returns 0; ``round``, ``__fixdfdi``, ``__floatdidf`` compute;
``rpc_send_async`` returns; ``__artiq_raise`` stops the run as an error). Its entry
``__modinit__`` then runs on unicorn's RV32 CPU (hard float) and every instruction
executed inside the kernel's ``.text`` is counted; the stubs (firmware, libm,
compiler-rt on the device) and the ``.plt`` trampolines are not (the latter are reported
apart).

Each kernel is compiled twice: for the chunk of ``kernel_cost.py`` (N single-qubit gates)
and for the same chunk played twice (2N). Instructions per gate = (executed(2N) -
executed(N)) / N: the gate loop alone, without entry, ``break_realtime`` and the
attribute writeback; the fixed part is executed(N) - N x per gate. The RTIO events
``(now, target, data)`` of (a), (b), (b'), (c1), (c2) must be the same sequence: a check both of
the emulation and of the kernels' equivalence.

    python benchmarks/gate_time.py [--system yb171|ca40]

``KERNEL_COST_DUMP=folder`` keeps the ELFs (``<kernel>_x1.elf``, ``_x2.elf``) and the
optimized LLVM IR there.
"""
import argparse
import json
import math
import os
import struct
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

# Where the emulated kernel lives (any free 32-bit addresses do).
BASE = 0x40000000        # the ELF's address 0
STUBS = 0x10000000       # one 4-byte stub per imported function
NOW = 0x11000000         # ARTIQ's `now`: high word at +0, low word at +8
STACK = 0x20000000
STACK_SIZE = 0x100000
RETURN = STUBS + 0xFFC   # where __modinit__ returns to: the run ends there
MAX_INSNS = 50_000_000

R_RISCV_32, R_RISCV_RELATIVE, R_RISCV_JUMP_SLOT = 1, 3, 5
RET = struct.pack("<I", 0x00008067)  # jalr x0, 0(ra)


class KernelError(Exception):
    """The emulated kernel did something the stubs do not allow (raised, faulted)."""


def read_elf(path):
    """The parts of a little-endian ELF32 RISC-V shared object a loader needs."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise ValueError("{}: not a little-endian ELF32 file".format(path))
    (_, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
     shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
    if machine != 243:
        raise ValueError("{}: not RISC-V".format(path))
    loads = []
    for i in range(phnum):
        p_type, offset, vaddr, _, filesz, memsz, _, _ = struct.unpack_from(
            "<8I", data, phoff + i * phentsize)
        if p_type == 1:  # PT_LOAD
            loads.append((offset, vaddr, filesz, memsz))
    # section header: name, type, flags, addr, offset, size, link, info, align, entsize
    sections = [struct.unpack_from("<10I", data, shoff + i * shentsize)
                for i in range(shnum)]

    def string(table, offset):
        start = table[4] + offset
        return data[start:data.index(b"\0", start)].decode()

    named = {string(sections[shstrndx], s[0]): s for s in sections}
    dynsym, dynstr = named[".dynsym"], named[".dynstr"]
    symbols = []  # (name, value, section index: 0 = imported)
    for i in range(dynsym[5] // 16):
        st_name, value, _, _, _, shndx = struct.unpack_from("<IIIBBH", data,
                                                            dynsym[4] + 16 * i)
        symbols.append((string(dynstr, st_name), value, shndx))
    relocations = []  # (offset, type, symbol index, addend)
    for s in sections:
        if s[1] == 4:  # SHT_RELA
            for i in range(s[5] // 12):
                offset, info, addend = struct.unpack_from("<IIi", data, s[4] + 12 * i)
                relocations.append((offset, info & 0xFF, info >> 8, addend))

    def extent(name):
        s = named.get(name)
        return (s[3], s[3] + s[5]) if s else (0, 0)

    return {"data": data, "loads": loads, "symbols": symbols,
            "relocations": relocations, "text": extent(".text"), "plt": extent(".plt")}


def _c_round(x):
    """C ``round``: halfway cases away from zero."""
    if math.isinf(x) or math.isnan(x):
        return x
    return math.copysign(math.floor(abs(x) + 0.5), x)


def emulate(path):
    """Load the kernel ELF at ``path``, run ``__modinit__`` and return ``{"executed":
    instructions executed in .text, "plt": in .plt, "calls": {import: count}, "rtio":
    [(now, target, data), ...]}``."""
    from unicorn import UC_ARCH_RISCV, UC_HOOK_CODE, UC_MODE_RISCV32, Uc, UcError
    from unicorn import riscv_const as rv

    elf = read_elf(path)
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    top = max(vaddr + memsz for _, vaddr, _, memsz in elf["loads"])
    uc.mem_map(BASE, (top + 0x1FFF) & ~0xFFF)  # zero-filled: .bss included
    for offset, vaddr, filesz, _ in elf["loads"]:
        uc.mem_write(BASE + vaddr, elf["data"][offset:offset + filesz])
    uc.mem_map(STUBS, 0x1000)
    uc.mem_write(STUBS, RET * 0x400)
    uc.mem_map(NOW, 0x1000)
    uc.mem_map(STACK, STACK_SIZE)

    a0, a1, fa0 = rv.UC_RISCV_REG_X10, rv.UC_RISCV_REG_X11, rv.UC_RISCV_REG_F10

    def signed(value, bits):
        return value - (1 << bits) if value >> (bits - 1) else value

    def now():
        hi, = struct.unpack("<I", uc.mem_read(NOW, 4))
        lo, = struct.unpack("<I", uc.mem_read(NOW + 8, 4))
        return signed(hi << 32 | lo, 64)

    def get_f64():
        return struct.unpack("<d", struct.pack("<Q", uc.reg_read(fa0) & (2**64 - 1)))[0]

    def set_f64(x):
        uc.reg_write(fa0, struct.unpack("<Q", struct.pack("<d", x))[0])

    def get_i64():
        return signed(uc.reg_read(a0) | uc.reg_read(a1) << 32, 64)

    def set_i64(value):
        value &= 2**64 - 1
        uc.reg_write(a0, value & 0xFFFFFFFF)
        uc.reg_write(a1, value >> 32)

    rtio, calls = [], {}
    work = {
        "rtio_output": lambda: rtio.append(
            (now(), uc.reg_read(a0) & 0xFFFFFFFF,
             signed(uc.reg_read(a1) & 0xFFFFFFFF, 32))),
        "rtio_get_counter": lambda: set_i64(0),
        "round": lambda: set_f64(_c_round(get_f64())),
        "__fixdfdi": lambda: set_i64(int(get_f64())),
        "__floatdidf": lambda: set_f64(float(get_i64())),
        "rpc_send_async": lambda: None,  # the attribute writeback at the kernel's end
    }
    stubs = {}  # address -> imported function
    address_of = {"now": NOW}
    for name, _, shndx in elf["symbols"]:
        if name and shndx == 0 and name not in address_of:
            address_of[name] = STUBS + 4 * len(stubs)
            stubs[address_of[name]] = name

    for offset, kind, index, addend in elf["relocations"]:
        if kind == R_RISCV_RELATIVE:
            value = BASE + addend
        elif kind in (R_RISCV_32, R_RISCV_JUMP_SLOT):
            name, value, shndx = elf["symbols"][index]
            value = (BASE + value if shndx else address_of[name]) + addend
        else:
            raise KernelError("{}: relocation type {} not handled".format(path, kind))
        uc.mem_write(BASE + offset, struct.pack("<I", value & 0xFFFFFFFF))

    counted = {"text": 0, "plt": 0}
    failures = []

    def count(key):
        def hook(uc_, address, size, user):
            counted[key] += 1
        return hook

    def stub(uc_, address, size, user):
        name = stubs.get(address)
        if name is None:
            return
        calls[name] = calls.get(name, 0) + 1
        if name not in work:
            failures.append(KernelError("the kernel called {}".format(name)))
            uc_.emu_stop()
            return
        work[name]()  # then the stub's `ret` returns to the kernel

    text0, text1 = elf["text"]
    uc.hook_add(UC_HOOK_CODE, count("text"), begin=BASE + text0, end=BASE + text1 - 1)
    plt0, plt1 = elf["plt"]
    if plt1 > plt0:
        uc.hook_add(UC_HOOK_CODE, count("plt"), begin=BASE + plt0, end=BASE + plt1 - 1)
    uc.hook_add(UC_HOOK_CODE, stub, begin=STUBS, end=STUBS + 0xFFF)

    # hard float (RV32G, double-float ABI): mstatus.FS must not be Off
    uc.reg_write(rv.UC_RISCV_REG_MSTATUS, uc.reg_read(rv.UC_RISCV_REG_MSTATUS) | 1 << 13)
    uc.reg_write(rv.UC_RISCV_REG_SP, STACK + STACK_SIZE - 16)
    uc.reg_write(rv.UC_RISCV_REG_RA, RETURN)
    entry = next(BASE + value for name, value, shndx in elf["symbols"]
                 if name == "__modinit__" and shndx)
    try:
        uc.emu_start(entry, RETURN, count=MAX_INSNS)
    except UcError as exc:
        pc = uc.reg_read(rv.UC_RISCV_REG_PC)
        raise KernelError("{}: emulation stopped at ELF address {:#x}: {}".format(
            path, pc - BASE, exc)) from exc
    if failures:
        raise failures[0]
    pc = uc.reg_read(rv.UC_RISCV_REG_PC)
    if pc != RETURN:
        raise KernelError("{}: the kernel did not return (pc {:#x} after {} "
                          "instructions)".format(path, pc, counted["text"]))
    return {"executed": counted["text"], "plt": counted["plt"], "calls": calls,
            "rtio": rtio}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", default="yb171")
    args = parser.parse_args()
    from benchmarks.kernel_cost import NO_ARTIQ, missing
    if missing("gate_time", "artiq", "no ARTIQ", NO_ARTIQ) or missing(
            "gate_time", "unicorn", "no unicorn", "unicorn is not installed (pip install "
            "unicorn, or the 'bench' extra); it runs the compiled kernels."):
        return 0

    import numpy as np

    from benchmarks.flat_kernels import gate_chunk
    from benchmarks.kernel_cost import CASES, build_trap, compile_case

    env, ops = build_trap(args.system)
    # the chunk of kernel_cost.py, and the same chunk played twice
    opcodes, starts, thetas, phis = gate_chunk(ops.native_gates(), length=6, seed=1)
    n = len(opcodes)
    chunks = {1: (opcodes, starts, thetas, phis),
              2: (np.concatenate([opcodes, opcodes]), np.array([0, 2 * n], dtype=np.int32),
                  thetas, phis)}

    dump = os.environ.get("KERNEL_COST_DUMP")
    with tempfile.TemporaryDirectory(prefix="gate-time-") as scratch:
        folder = dump or scratch
        os.makedirs(folder, exist_ok=True)
        runs = {}
        for name, _ in CASES:
            for times, chunk in chunks.items():
                elf = compile_case(env, ops, name, chunk, folder,
                                   dump_name="{}_x{}".format(name, times))
                runs[name, times] = emulate(elf)

    per_gate = {name: (runs[name, 2]["executed"] - runs[name, 1]["executed"]) / n
                for name, _ in CASES}
    fixed = {name: runs[name, 1]["executed"] - n * per_gate[name] for name, _ in CASES}
    plt_per_gate = {name: (runs[name, 2]["plt"] - runs[name, 1]["plt"]) / n
                    for name, _ in CASES}
    rtio_identical = all(runs[name, times]["rtio"] == runs["a_hal", times]["rtio"]
                         for name, _ in CASES for times in chunks)
    pulses = runs["b_flat", 1]["calls"].get("round", 0)  # (b) rounds once per pulse

    print("executed RB gate path on {} ({} single-qubit gates on {} qubits, and the same "
          "twice), ARTIQ's compiler, rv32, emulated (unicorn)".format(
              args.system, n, ops.num_qubits))
    head = "{:<44s} {:>9s} {:>9s} {:>9s} {:>7s} {:>6s} {:>6s}"
    row = "{:<44s} {:>9d} {:>9d} {:>9.1f} {:>7.0f} {:>6d} {:>6s}"
    print(head.format("kernel", "exec N", "exec 2N", "per gate", "fixed", "rtio",
                      "calls"))
    for name, label in CASES:
        one = runs[name, 1]
        library = sum(v for k, v in one["calls"].items() if k != "rtio_output")
        print(row.format(label, one["executed"], runs[name, 2]["executed"],
                         per_gate[name], fixed[name], len(one["rtio"]), str(library)))
    a, b, bm = per_gate["a_hal"], per_gate["b_flat"], per_gate["b_flat_in_memory"]
    c1, c2 = per_gate["c_no_project_invariants"], per_gate["c_no_invariants"]
    print("'exec' counts the instructions executed in the kernel's .text for N and 2N "
          "gates;\n'per gate' is their difference over N (the gate loop alone), 'fixed' "
          "the rest of the N run\n(entry, break_realtime, attribute writeback). 'rtio' "
          "counts rtio_output calls (N run);\n'calls' the other imports called (round, "
          "__fixdfdi, __floatdidf, ...: device libraries,\nnot counted), as are the .plt "
          "trampolines ({} per gate in a, {} in c2).".format(
              round(plt_per_gate["a_hal"], 2), round(plt_per_gate["c_no_invariants"], 2)))
    print("the {} gates play {} pulses; RTIO events (now, target, data) of a, b, b', c1, c2 "
          "identical: {}".format(n, pulses, "yes" if rtio_identical else "NO"))
    for name, label in CASES:
        print("  calls in {}: {}".format(label.split()[0], ", ".join(
            "{} {}".format(k, v) for k, v in sorted(runs[name, 1]["calls"].items()))))
    print("per gate: a/b' {:.3f}: what the layers cost (calls, objects, dispatch); b'/b "
          "{:.3f}: what\nthe HAL's data layout costs (a frame in memory across calls, a "
          "per-qubit table)".format(a / bm, bm / b))
    print("per gate: a/b {:.3f}, a/c2 {:.3f}, a/c1 {:.3f}; a executes {:.0%} fewer "
          "instructions per gate than c2 (all emptied), {:.0%} fewer than c1 (project "
          "emptied)".format(a / b, a / c2, a / c1, 1 - a / c2, 1 - a / c1))
    short = {"a_hal": "a", "b_flat": "b", "b_flat_in_memory": "b'",
             "c_no_project_invariants": "c1",
             "c_no_invariants": "c2"}
    figures = {
        "exec_insn_ratio_vs_flat": round(a / b, 3),
        "exec_insn_ratio_vs_flat_in_memory": round(a / bm, 3),
        "exec_insn_reduction_vs_no_invariants": round(1 - a / c2, 3),
        "exec_insn_reduction_vs_no_project_invariants": round(1 - a / c1, 3),
        "exec_insns_per_gate": {short[k]: round(v, 2) for k, v in per_gate.items()},
        "exec_insns_fixed": {short[k]: round(v, 1) for k, v in fixed.items()},
        "exec_insns_total": {short[k]: runs[k, 1]["executed"] for k in per_gate},
        "gates": n,
        "pulses": pulses,
        "rtio_outputs": len(runs["a_hal", 1]["rtio"]),
        "library_calls": {short[k]: sum(v for f, v in runs[k, 1]["calls"].items()
                                        if f != "rtio_output") for k in per_gate},
        "rtio_identical": rtio_identical,
    }
    print(json.dumps(figures))
    return 0 if rtio_identical else 1


if __name__ == "__main__":
    sys.exit(main())
