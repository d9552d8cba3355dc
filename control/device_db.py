"""Device databases: loading one from its file, checking its entries, resolving aliases.

A device database is ARTIQ's: a dict of entry name -> description (a ``local`` driver, a
``controller``, a ``controller_aux_target`` or a ``dummy``) or -> another entry's name (an
alias, as a lab's role names are). :func:`resolve_alias` is the one place that follows
aliases: the device manager, the module registry and the simulator all ask it.
"""
from collections.abc import Mapping
from typing import Any

from control.errors import DeviceDBError, closest_hint
from control.file_import import import_file

__all__ = ["load_device_db", "check_device_db", "resolve_alias"]


def resolve_alias(device_db: Mapping[str, Any], name: str) -> str:
    """The entry name behind ``name``, aliases followed to their end (``name`` itself when
    it is not an alias).

    The name returned may be missing from ``device_db``: callers say so in their own
    words. An alias chain that comes back on itself is a ``DeviceDBError`` naming the
    chain."""
    chain = [name]
    while isinstance(device_db.get(name), str):
        name = device_db[name]
        if name in chain:
            raise DeviceDBError("alias loop in the device database: "
                                + " -> ".join(chain + [name]))
        chain.append(name)
    return name


def check_device_db(ddb, source="device database"):
    """Raise ``DeviceDBError`` naming every malformed entry of ``ddb``."""
    if not isinstance(ddb, dict):
        raise DeviceDBError("{}: device_db must be a dict, not {}".format(
            source, type(ddb).__name__))
    problems = []
    for name, desc in ddb.items():
        if isinstance(desc, str):
            if desc not in ddb:
                problems.append("alias {!r} points to {!r}, which is not in the database{}"
                                .format(name, desc, closest_hint(desc, ddb)))
            continue
        if not isinstance(desc, dict):
            problems.append("entry {!r} must be a dict or an alias string, not {}".format(
                name, type(desc).__name__))
            continue
        ty = desc.get("type")
        if ty == "local":
            for field in ("module", "class"):
                if not isinstance(desc.get(field), str):
                    problems.append("local entry {!r} has no {!r}".format(name, field))
            if not isinstance(desc.get("arguments", {}), dict):
                problems.append("entry {!r}: 'arguments' must be a dict".format(name))
        elif ty == "controller":
            for field in ("host", "port"):
                if field not in desc:
                    problems.append("controller {!r} has no {!r}".format(name, field))
        elif ty in ("controller_aux_target", "dummy"):
            pass
        else:
            problems.append("entry {!r} has type {!r}; expected local, controller, "
                            "controller_aux_target or dummy".format(name, ty))
    if problems:
        raise DeviceDBError("{} is malformed:\n  - {}".format(source, "\n  - ".join(problems)))
    return ddb


def load_device_db(path):
    """The ``device_db`` dict of a device database file, checked."""
    try:
        module = import_file(path, prefix="control_device_db_")
    except FileNotFoundError:
        raise DeviceDBError("device database not found: {}".format(path)) from None
    except Exception as exc:
        raise DeviceDBError("device database {} does not load: {}: {}".format(
            path, type(exc).__name__, exc)) from exc
    if not hasattr(module, "device_db"):
        raise DeviceDBError("{} defines no 'device_db' dict".format(path))
    return check_device_db(module.device_db, path)
