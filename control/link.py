"""What a kernel reaches: the kernel functions, objects and devices ARTIQ's compiler would
embed for it, found the way the compiler finds them — from the entry kernel, through the
``self.<attr>...`` calls in each kernel's source, on the live objects.

A module that no reached kernel calls into is not in the binary, however many modules the
system declares. ``control link`` prints this per kernel next to the modules the
experiment built.
"""
import ast
import inspect
import textwrap

from control import lang

__all__ = ["reach", "KernelReach"]


class KernelReach:
    """What one entry kernel reaches (:func:`reach`): kernel functions, objects and the
    invariants folded from them."""

    def __init__(self):
        self.functions = []   # "Class.method" in discovery order
        self.objects = {}     # id -> object whose kernels were reached
        self.invariants = {}  # label -> folded attribute names read by reached kernels
        self._seen = set()

    def labels(self):
        """A name for each object reached: its module key, else a simulated device's key,
        else its class's name."""
        return [_label(o) for o in self.objects.values()]

    def modules(self):
        """The keys of the modules reached, in discovery order."""
        return [o.module_key for o in self.objects.values() if hasattr(o, "module_key")]


def _label(obj):
    return getattr(obj, "module_key", None) or getattr(obj, "_key", None) or \
        type(obj).__name__


def _source_tree(function):
    try:
        src = inspect.getsource(lang.kernel_function(function))
    except (OSError, TypeError):
        return None
    return ast.parse(textwrap.dedent(src))


def _resolve(obj, node, local_lists):
    """Objects an expression like ``self.a.b`` or ``self.a[i]`` names (several for a
    list element); [] when it is not rooted at ``self``."""
    if isinstance(node, ast.Name):
        if node.id == "self":
            return [obj]
        return local_lists.get(node.id, [])
    if isinstance(node, ast.Attribute):
        out = []
        for base in _resolve(obj, node.value, local_lists):
            value = getattr(base, node.attr, None)
            if value is not None:
                out.append(value)
        return out
    if isinstance(node, ast.Subscript):
        out = []
        for base in _resolve(obj, node.value, local_lists):
            if isinstance(base, (list, tuple)):
                out.extend(base)
        return out
    return []


def reach(obj, method_name, result=None):
    """Walk from ``obj.method_name`` (a kernel) through every kernel or portable method it
    calls on reachable objects."""
    result = result or KernelReach()
    key = (id(obj), method_name)
    if key in result._seen:
        return result
    result._seen.add(key)
    method = getattr(type(obj), method_name, None)
    if method is None or not (lang.is_kernel(method) or lang.is_portable(method)):
        return result
    result.functions.append("{}.{}".format(type(obj).__qualname__, method_name))
    result.objects.setdefault(id(obj), obj)
    tree = _source_tree(method)
    if tree is None:
        return result
    fn = tree.body[0]
    invariants = set(getattr(obj, "kernel_invariants", ()))
    local_lists = {}
    for node in ast.walk(fn):
        # "for beam in self.beams:" makes "beam" name every element
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            local_lists[node.target.id] = [
                x for v in _resolve(obj, node.iter, local_lists)
                for x in (v if isinstance(v, (list, tuple)) else [])]
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            found = _resolve(obj, node.value, local_lists)
            if found:
                local_lists[node.targets[0].id] = found
    for node in ast.walk(fn):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "self" and node.attr in invariants:
            result.invariants.setdefault(_label(obj), set()).add(node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            for target in _resolve(obj, node.func.value, local_lists):
                if not isinstance(target, (int, float, str, bytes, list, tuple, dict)):
                    reach(target, node.func.attr, result)
    return result
