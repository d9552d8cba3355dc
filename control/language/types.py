"""Type markers for kernel signatures (``TInt32``, ``TList(TFloat)``, …), for hosts without
ARTIQ.

Matches ``artiq.language.types`` of ARTIQ 9 (``9.9565+3740b92.beta``, the version the lab's
``artiq-lab`` build installs) in its names and in how they are called; ARTIQ's are its
compiler's own type objects, which only its compiler reads. On the host they only need to
exist, compare and print: the simulated core ignores them. ``TList(TInt32)`` and
``TArray(TFloat, 2)`` build new markers, as ARTIQ's do. ``tests/test_lang_names.py``
checks that this module offers every name ARTIQ's does.
"""

__all__ = ["TNone", "TTuple", "TBool", "TInt32", "TInt64", "TFloat", "TStr", "TBytes",
           "TByteArray", "TList", "TArray", "TRange32", "TRange64", "TVar"]


class _Type:
    def __init__(self, name, *params):
        self.name = name
        self.params = params

    def __repr__(self):
        if not self.params:
            return self.name
        return "{}({})".format(self.name, ", ".join(map(repr, self.params)))

    def __eq__(self, other):
        return isinstance(other, _Type) and (self.name, self.params) == (other.name, other.params)

    def __hash__(self):
        return hash((self.name, self.params))


TNone = _Type("TNone")
TBool = _Type("TBool")
TInt32 = _Type("TInt32")
TInt64 = _Type("TInt64")
TFloat = _Type("TFloat")
TStr = _Type("TStr")
TBytes = _Type("TBytes")
TByteArray = _Type("TByteArray")
TRange32 = _Type("TRange32")
TRange64 = _Type("TRange64")


def TTuple(elts=[]):  # noqa: B006  (ARTIQ's signature; never mutated)
    """The type of a tuple whose elements have the types ``elts``, in order."""
    return _Type("TTuple", *elts)


def TList(elt=None):
    """The type of a list of ``elt`` (all elements of one type, as kernels need)."""
    return _Type("TList", elt)


def TArray(elt=None, num_dims=1):
    """The type of a numpy array of ``elt`` with ``num_dims`` dimensions."""
    return _Type("TArray", elt, num_dims)


def TVar():
    """A type the compiler infers (a fresh type variable)."""
    return _Type("TVar")
