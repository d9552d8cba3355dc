"""A host-side implementation of the ARTIQ language, used when ARTIQ is not installed.

Nothing imports this package directly except :mod:`control.lang` (which chooses between it
and ARTIQ) and the tests that hold it to ARTIQ's behaviour. Its modules mirror
``artiq.language``: ``core`` (decorators, timeline), ``types``, ``units``, ``environment``
(``HasEnvironment`` and argument processors) and ``scan``. Behaviour follows ARTIQ master
(9.x); where a detail matters for timing or for what a user sees, the docstring says which
ARTIQ code it matches.
"""
