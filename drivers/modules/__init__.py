"""Modules that wrap ARTIQ devices into the building blocks of a trap: beams, cooling,
pumping, detection, qubit drives and the Mølmer–Sørensen gate. One module a file, each
owning its devices and reading its calibrations from datasets named after its key."""
