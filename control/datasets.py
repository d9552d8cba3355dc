"""Dataset databases on disk: ARTIQ's own (LMDB, what ``artiq_master --dataset-db`` and
``artiq_run --dataset-db`` read) and the project's PYON file for machines without ARTIQ.

A path ending in ``.mdb`` is ARTIQ's format and needs ARTIQ (its ``DatasetDB`` reads and
writes it, through ``control.lang``); any other path is a PYON file holding one dict of
dataset name -> value. Every value written here is persistent, as calibrations are.

A running ``artiq_master`` keeps its dataset DB in memory and writes it back from there:
change the file only while the master is stopped (or send the values with
``artiq_client set-dataset --persist``), or the master will not see them.
"""
import os

from control import lang, pyon
from control.errors import DatasetError

__all__ = ["DatasetFile", "open_dataset_db", "is_artiq_format"]


def is_artiq_format(path):
    """True for a path to ARTIQ's own dataset DB (LMDB, ``.mdb``)."""
    return str(path).endswith(".mdb")


class DatasetFile:
    """A dataset DB file: ``values`` (name -> value), ``set``, ``save``, ``close``."""

    def __init__(self, path):
        self.path = str(path)
        self._artiq = None
        if is_artiq_format(self.path):
            if not lang.ARTIQ:
                raise DatasetError(
                    "{} is ARTIQ's dataset DB (LMDB), which needs ARTIQ installed; without "
                    "ARTIQ use a .pyon file".format(self.path))
            self._artiq = lang.artiq_dataset_db(self.path)
            self.values = {key: self._artiq.get(key) for key in self._artiq.data.raw_view}
        elif os.path.exists(self.path):
            with open(self.path) as f:
                text = f.read()
            try:
                self.values = pyon.decode(text) if text.strip() else {}
            except ValueError as exc:
                raise DatasetError("{} is not a PYON dataset file: {}".format(
                    self.path, exc)) from None
            if not isinstance(self.values, dict):
                raise DatasetError("{} must hold a dict of dataset name -> value, not "
                                   "{}".format(self.path, type(self.values).__name__))
        else:
            self.values = {}

    def set(self, key, value, metadata=None):
        """Set a persistent dataset (written by :meth:`save`)."""
        self.values[key] = value
        if self._artiq is not None:
            self._artiq.set(key, value, persist=True, metadata=metadata or {})

    def save(self):
        """Write the values to the file; a PYON file is replaced whole, never left
        half-written."""
        if self._artiq is not None:
            self._artiq.save()
            return
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(pyon.encode(self.values))
        os.replace(tmp, self.path)  # never a half-written file in place

    def close(self):
        """Release ARTIQ's database; a PYON file holds nothing open."""
        if self._artiq is not None:
            self._artiq.close_db()
            self._artiq = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def open_dataset_db(path):
    """The dataset DB at ``path`` as a :class:`DatasetFile` (empty if the file does not
    exist yet)."""
    return DatasetFile(path)
