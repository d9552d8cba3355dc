"""Numerical constants that kernels, drivers and the host share.

Module-level floats: a kernel that reads one (imported by name into its module) gets it
folded by ARTIQ's compiler as a constant, as if written in place.
"""

__all__ = ["PI"]

#: π, as a plain float (``math.pi``'s value) so that ARTIQ's compiler folds it.
PI = 3.141592653589793
