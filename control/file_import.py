"""Import a Python file by its path, as ARTIQ's ``artiq.tools.file_import`` does: the
experiment files ``control run`` is given, device databases, a trap's ``sim.py``."""
import importlib.util
import os
import sys

__all__ = ["import_file"]


def import_file(path, prefix="control_file_"):
    """Import a Python file as a fresh module (its folder on ``sys.path`` meanwhile, so
    it can import its neighbours, as ARTIQ's ``file_import`` allows)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError("no such file: {}".format(path))
    name = prefix + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    # Registered like any module, so that inspect (and the simulator's kernel rewriting)
    # can find the classes it defines; importing the file again replaces it.
    sys.modules[name] = module
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass
    return module
