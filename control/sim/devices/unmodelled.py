"""Methods of ARTIQ's drivers that a simulated twin keeps but does not model.

A twin has every public method of the driver it stands in for, with the same signature
(``tests/sim/test_twin_signatures.py`` holds them to ARTIQ's). Where the simulator cannot
follow the driver, the method is still there and says so when called —
``NotImplementedError("Core.precompile is not modelled by the simulator: ...")``, as DAX's
simulator does — instead of an ``AttributeError`` from deep inside a kernel, or a device
that silently does nothing.

A stub is the driver's signature with an empty body; the decorator supplies the rest::

    @not_modelled("subkernels run on DRTIO satellites, which are not simulated")
    def compile_subkernel(self, sid, subkernel_fn, embedding_map, args,
                          subkernel_arg_types, subkernels): ...

The reason is optional (``@not_modelled`` alone works). For a method that ARTIQ's kernels
call, put ``@portable`` above it, as on the twins' modelled methods. ``inspect.signature``
of the stub is the written one, so the signature test checks stubs like any other method.
"""
import functools

__all__ = ["not_modelled", "is_not_modelled"]


def not_modelled(reason=None):
    """Make the decorated method raise ``NotImplementedError`` naming it
    (``"Class.method is not modelled by the simulator"``, then ``reason`` if given)."""
    if callable(reason):  # used bare: @not_modelled
        return not_modelled()(reason)

    def decorate(function):
        message = "{} is not modelled by the simulator".format(function.__qualname__)
        if reason:
            message += ": " + reason

        @functools.wraps(function)  # keeps the signature (__wrapped__) and docstring
        def stub(*args, **kwargs):
            raise NotImplementedError(message)
        stub.not_modelled = message
        return stub
    return decorate


def is_not_modelled(method):
    """True for a method made by :func:`not_modelled` (plain, static or bound)."""
    method = getattr(method, "__func__", method)
    return isinstance(getattr(method, "not_modelled", None), str)
