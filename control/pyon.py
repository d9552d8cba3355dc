"""PYON, the value format of ARTIQ's command lines and result files, without sipyco.

Current sipyco PYON *is* JSON, with tagged extensions for tuples, non-string dict keys and
numpy values. Where sipyco is installed its codec is used; otherwise plain JSON covers what
this project writes (``expid``) and reads (``name=value`` arguments). Older PYON (Python
literal syntax: ``True``, ``(1, 2)``) is also accepted on input, as ARTIQ's
``compat.pyon_decode`` accepts it.
"""
import ast
import json

import numpy as np

try:  # pragma: no cover - depends on the environment
    from sipyco import pyon as _sipyco_pyon
except ImportError:
    _sipyco_pyon = None

__all__ = ["encode", "decode"]

_V1_NAMES = {"null": None, "true": True, "false": False}


def _plain(value):
    """numpy scalars and arrays as JSON can hold them."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def encode(value):
    """One line of PYON text for ``value``."""
    if _sipyco_pyon is not None:
        return _sipyco_pyon.encode(value)
    # sipyco writes compact JSON; so do we, so that an argument's description (the
    # dashboard shows a PYONValue's default as this text) reads the same either way.
    return json.dumps(_plain(value), separators=(",", ":"))


def decode(text):
    """The value written as ``text`` (PYON v2/JSON, or PYON v1 literal syntax)."""
    if _sipyco_pyon is not None:
        try:
            return _sipyco_pyon.decode(text)
        except ValueError:
            pass
    try:
        return json.loads(text)
    except ValueError:
        pass
    if text.strip() in _V1_NAMES:
        return _V1_NAMES[text.strip()]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError) as exc:
        raise ValueError("not a PYON value: {!r}".format(text)) from exc
