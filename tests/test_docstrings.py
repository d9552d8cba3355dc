"""Every public class and function of ``control/`` and ``kernels/`` has a docstring.

Read from the source with ``ast``, nothing imported. Counted: module-level functions and
classes (also those defined under a module-level ``if``/``try``) and the methods and nested
classes of a public class, whose names do not start with ``_``, and the public methods a
public class inherits from a private base of the same folder (a TTL twin's ``on``, written
once in ``_TTLBase``). Not counted:

- dunder methods (``__init__``: the class's docstring says what it takes);
- a property's setter or deleter (the getter's docstring is the property's);
- a method overriding a documented method of a base class defined in ``control/`` or
  ``kernels/`` (found by the base's name, in its module or through a ``from ... import``):
  ``help()`` shows the base's docstring, which is the contract;
- a simulated twin's stub made by ``@not_modelled`` (``control/sim/devices/``): it mirrors
  an ARTIQ driver's method and raises, naming it.

A failure lists what is missing as ``path:line name``, one a line. Parametrized by top
folder, so ``-k control`` or ``-k kernels`` checks one part.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ("control", "kernels")


def _is_public(name):
    return not name.startswith("_")


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _decorator_names(node):
    """The dotted names of ``node``'s decorators, calls reduced to what is called."""
    names = []
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            decorator = decorator.func
        parts = []
        while isinstance(decorator, ast.Attribute):
            parts.append(decorator.attr)
            decorator = decorator.value
        if isinstance(decorator, ast.Name):
            parts.append(decorator.id)
        names.append(".".join(reversed(parts)))
    return names


def _is_accessor(node):
    """A property's ``@x.setter`` or ``@x.deleter``."""
    return any(name.endswith((".setter", ".deleter")) for name in _decorator_names(node))


def _is_not_modelled(node):
    return any(name.split(".")[-1] == "not_modelled" for name in _decorator_names(node))


def _module_level(body):
    """Statements at module level, looking inside ``if``/``try`` blocks."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _module_level(statement.body)
            yield from _module_level(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _module_level(block)
            for handler in statement.handlers:
                yield from _module_level(handler.body)
        else:
            yield statement


class _Module:
    """One parsed source file: its classes by name and what its imports name."""

    def __init__(self, path):
        self.path = path
        rel = os.path.relpath(path, ROOT)
        parts = rel[:-len(".py")].split(os.sep)
        self.is_package = parts[-1] == "__init__"
        if self.is_package:
            parts = parts[:-1]
        self.name = ".".join(parts)
        self.rel = rel
        with open(path, encoding="utf-8") as f:
            self.tree = ast.parse(f.read(), filename=rel)
        self.classes = {}
        self.imported = {}  # local name -> (module, name)
        for statement in _module_level(self.tree.body):
            if isinstance(statement, ast.ClassDef):
                self.classes[statement.name] = statement
            elif isinstance(statement, ast.ImportFrom):
                source = self._absolute(statement.module, statement.level)
                for alias in statement.names:
                    self.imported[alias.asname or alias.name] = (source, alias.name)

    def _absolute(self, module, level):
        if not level:
            return module
        package = self.name.split(".")
        if not self.is_package:
            package = package[:-1]
        package = package[:len(package) - (level - 1)]
        return ".".join(package + ([module] if module else []))


def _modules():
    modules = {}
    for folder in FOLDERS:
        for dirpath, dirnames, files in os.walk(os.path.join(ROOT, folder)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    module = _Module(os.path.join(dirpath, name))
                    modules[module.name] = module
    return modules


def _resolve_base(modules, module, base):
    """``(module, ClassDef)`` of a base class written ``Name`` or ``mod.Name``, if it is
    defined in the scanned folders; else None."""
    if isinstance(base, ast.Name):
        if base.id in module.classes:
            return module, module.classes[base.id]
        if base.id in module.imported:
            source, name = module.imported[base.id]
            target = modules.get(source)
            if target is not None and name in target.classes:
                return target, target.classes[name]
            # ``from package import module`` is handled with attributes below.
    elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        owner = base.value.id
        source = None
        if owner in module.imported:
            source = ".".join(module.imported[owner])
        target = modules.get(source) if source else None
        if target is not None and base.attr in target.classes:
            return target, target.classes[base.attr]
    return None


def _documented_in_bases(modules, module, cls, method, seen=None):
    """True if a base class of ``cls`` (transitively) defines ``method`` with a
    docstring."""
    seen = set() if seen is None else seen
    for base in cls.bases:
        found = _resolve_base(modules, module, base)
        if found is None or id(found[1]) in seen:
            continue
        seen.add(id(found[1]))
        base_module, base_cls = found
        for node in base_cls.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and node.name == method and not _is_accessor(node):
                if ast.get_docstring(node):
                    return True
                break
        if _documented_in_bases(modules, base_module, base_cls, method, seen):
            return True
    return False


def public_definitions(folder):
    """``(path, line, name, documented)`` for every counted definition under ``folder``."""
    modules = _modules()
    found = {}  # (path, line) -> (path, line, name, documented): a private base once

    def add(module, node, name, documented):
        found.setdefault((module.rel, node.lineno), (module.rel, node.lineno, name,
                                                      documented))

    def visit_methods(module, cls, name):
        for node in cls.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if not _is_public(node.name) or _is_dunder(node.name) \
                        or _is_accessor(node) or _is_not_modelled(node):
                    continue
                documented = bool(ast.get_docstring(node))
                if not documented and _documented_in_bases(modules, module, cls, node.name):
                    continue
                add(module, node, name + "." + node.name, documented)
        # A private base's public methods are the public class's API too.
        for base in cls.bases:
            resolved = _resolve_base(modules, module, base)
            if resolved is not None and not _is_public(resolved[1].name) \
                    and resolved[0].name.split(".")[0] == folder:
                visit_methods(resolved[0], resolved[1], resolved[1].name)

    def visit_class(module, cls, prefix):
        name = prefix + cls.name
        add(module, cls, name, bool(ast.get_docstring(cls)))
        for node in cls.body:
            if isinstance(node, ast.ClassDef) and _is_public(node.name):
                visit_class(module, node, name + ".")
        visit_methods(module, cls, name)

    for module in modules.values():
        if module.name.split(".")[0] != folder:
            continue
        for node in _module_level(module.tree.body):
            if isinstance(node, ast.ClassDef) and _is_public(node.name):
                visit_class(module, node, "")
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                    and _is_public(node.name):
                add(module, node, node.name, bool(ast.get_docstring(node)))
    return sorted(found.values())


@pytest.mark.parametrize("folder", FOLDERS)
def test_public_definitions_have_docstrings(folder):
    definitions = public_definitions(folder)
    assert definitions, "found no public definitions under {}/".format(folder)
    missing = ["{}:{} {}".format(path, line, name)
               for path, line, name, documented in definitions if not documented]
    assert not missing, "{} of {} public definitions under {}/ have no docstring:\n{}".format(
        len(missing), len(definitions), folder, "\n".join(missing))
