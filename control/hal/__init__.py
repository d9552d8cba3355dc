"""The hardware-abstraction layer: the contracts between portable kernels and traps.

``OperationInterface`` is a trap's native operations (prepare, measure, rotate, entangle);
``NativeGate`` describes, on the host, which gates a trap has and how long they take;
``validate`` checks an implementation against the contract before anything runs.
"""
from control.hal.native import NativeGate, NativeGateSet
from control.hal.operations import OperationInterface, HALError
from control.hal.validate import validate, ValidationError, kernel_attribute_reads

__all__ = ["OperationInterface", "HALError", "NativeGate", "NativeGateSet", "validate",
           "ValidationError", "kernel_attribute_reads"]
