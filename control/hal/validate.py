"""Check an implementation of a HAL interface before anything runs.

``validate`` reports, all at once: every required operation that is missing, every
operation that is not a kernel (or portable function), and every attribute that a kernel
of the implementation reads but neither declares in ``kernel_invariants`` nor writes in a
kernel. Such an attribute is the usual cause of a slow kernel: ARTIQ's compiler cannot
fold it and reloads it on every use.
"""
import ast
import inspect
import textwrap
from collections.abc import Iterable
from typing import Any, cast

from control import lang
from control.hal.operations import OperationInterface

__all__ = ["validate", "ValidationError", "kernel_attribute_reads"]


class ValidationError(Exception):
    """An implementation breaks its HAL contract; ``problems`` lists every breach."""

    def __init__(self, subject: str, problems: Iterable[str]) -> None:
        self.subject = subject
        self.problems = list(problems)
        super().__init__("{} breaks the HAL contract ({} problem{}):\n  - {}".format(
            subject, len(self.problems), "" if len(self.problems) == 1 else "s",
            "\n  - ".join(self.problems)))


def _kernel_source_tree(function: Any) -> ast.Module | None:
    try:
        source = inspect.getsource(lang.kernel_function(function))
    except (OSError, TypeError):
        return None
    return ast.parse(textwrap.dedent(source))


def kernel_attribute_reads(function: Any) -> tuple[set[str], set[str]]:
    """``(reads, writes)``: the names of ``self.<name>`` attributes a kernel function
    loads and stores."""
    tree = _kernel_source_tree(function)
    reads: set[str] = set()
    writes: set[str] = set()
    if tree is None:
        return reads, writes
    fn = cast(ast.FunctionDef, tree.body[0])  # the source of one function
    self_name = fn.args.args[0].arg if fn.args.args else "self"
    def self_attr(node: ast.AST) -> str | None:
        return (node.attr if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == self_name else None)

    for node in ast.walk(fn):
        name = self_attr(node)
        if name is not None:
            (writes if isinstance(cast(ast.Attribute, node).ctx, ast.Store) else reads).add(name)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            # self.counts[i] = ... (or +=) writes the attribute's contents
            name = self_attr(node.value)
            if name is not None:
                writes.add(name)
    return reads, writes


def _kernels_of(obj: object) -> dict[str, Any]:
    """Name -> bound kernel or portable method, over the object's class."""
    found = {}
    for name in dir(type(obj)):
        if name.startswith("__"):
            continue
        member = getattr(type(obj), name, None)
        if callable(member) and (lang.is_kernel(member) or lang.is_portable(member)):
            found[name] = getattr(obj, name)
    return found


def _find_operations(subject: object) -> list[OperationInterface]:
    if isinstance(subject, OperationInterface):
        return [subject]
    find_all = getattr(subject, "find_all", None)
    if find_all is not None:
        found: list[OperationInterface] = find_all(OperationInterface)
        return found
    raise TypeError("validate() takes a system or an OperationInterface implementation, "
                    "not {!r}".format(subject))


def _operation_problems(ops: OperationInterface) -> list[str]:
    problems = []
    for name in OperationInterface.REQUIRED:
        fn = getattr(ops, name, None)
        if fn is None or getattr(fn, "_hal_missing", False):
            problems.append("required operation {!r} is missing".format(name))
        elif not (lang.is_kernel(fn) or lang.is_portable(fn)):
            problems.append("operation {!r} is not a kernel".format(name))
    for name in OperationInterface.OPTIONAL + OperationInterface.DERIVED:
        fn = getattr(ops, name, None)
        if fn is None or getattr(fn, "_hal_missing", False):
            continue
        if name != "store_measurements" and not (lang.is_kernel(fn) or lang.is_portable(fn)):
            problems.append("operation {!r} is not a kernel".format(name))
    num_qubits = getattr(ops, "num_qubits", 0)
    if not isinstance(num_qubits, int) or num_qubits < 1:
        problems.append("num_qubits must be a positive int, not {!r}".format(num_qubits))
    try:
        gates = ops.native_gates()
    except NotImplementedError:
        problems.append("native_gates() is not implemented")
    else:
        for kind in ("rxx", "cz"):
            if kind in gates and not ops.supports(kind):
                problems.append("native gate {!r} is published but the operation is "
                                "missing".format(kind))
    return problems


def _invariant_problems(obj: object, seen: set[int]) -> list[str]:
    """Attributes read by kernels but neither invariant nor written by a kernel, for
    ``obj`` and every object its kernels reach through invariant attributes."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    kernels = _kernels_of(obj)
    if not kernels:
        return []
    reads: set[str] = set()
    writes: set[str] = set()
    for fn in kernels.values():
        r, w = kernel_attribute_reads(fn)
        reads |= r
        writes |= w
    invariants = set(getattr(obj, "kernel_invariants", ()))
    problems = []
    label = getattr(obj, "module_key", type(obj).__name__)
    for name in sorted(reads - writes - invariants):
        if name in kernels:
            continue
        value = getattr(obj, name, None)
        if inspect.ismethod(value) or inspect.isfunction(value):
            continue  # an RPC or a method; ARTIQ embeds it, nothing to fold
        if not hasattr(obj, name):
            problems.append("{}: a kernel reads self.{} which does not exist".format(
                label, name))
            continue
        problems.append("{}: kernels read self.{} but it is not in kernel_invariants "
                        "(and no kernel writes it)".format(label, name))
    for name in sorted(reads & invariants):
        child = getattr(obj, name, None)
        if child is not None and not isinstance(child, (int, float, str, bool, bytes)) \
                and _kernels_of(child) and getattr(child, "module_key", None):
            problems.extend(_invariant_problems(child, seen))
    return problems


def validate(subject: object) -> list[OperationInterface]:
    """Check ``subject`` (a system, or one ``OperationInterface`` implementation) and
    raise ``ValidationError`` listing every problem; return the implementations checked.
    """
    ops_list = _find_operations(subject)
    problems = []
    if not ops_list:
        problems.append("no module implements OperationInterface")
    seen: set[int] = set()
    for ops in ops_list:
        label = getattr(ops, "module_key", type(ops).__name__)
        problems.extend("{}: {}".format(label, p) for p in _operation_problems(ops))
        problems.extend(_invariant_problems(ops, seen))
    if problems:
        raise ValidationError(getattr(subject, "module_key", type(subject).__name__),
                              problems)
    return ops_list
