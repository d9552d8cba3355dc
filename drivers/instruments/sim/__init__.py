"""pyvisa-sim definition files of the instrument drivers (package data).

Use ``Driver(simulation=True)``, or ``backend="<copy of the file>@sim"`` in
tests: pyvisa-sim keeps one simulated state per file path for the whole
process, so a per-test copy gives each test a fresh instrument.
"""
