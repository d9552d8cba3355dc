"""A host-side implementation of the ARTIQ language, used when ARTIQ is not installed.

Nothing imports this package directly except :mod:`control.lang` (which chooses between it
and ARTIQ) and the tests that hold it to ARTIQ's behaviour. Its modules mirror
``artiq.language``: ``core`` (decorators, timeline), ``types``, ``units``, ``environment``
(``HasEnvironment`` and argument processors) and ``scan``.

It matches ARTIQ 9 (``9.9565+3740b92.beta``, the version the lab's ``artiq-lab`` build
installs) in what users and tools see: public names, signatures, ``describe()`` output and
the error texts users search for. The code is the project's own: each module's docstring
says what it matches and how. ``tests/test_lang.py`` runs each check on both
implementations (ARTIQ's in the ARTIQ lane, ``make test-artiq``) and
``tests/test_lang_names.py`` checks that this package offers every name
``artiq.experiment`` does.
"""
