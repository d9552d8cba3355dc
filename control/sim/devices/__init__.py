"""Simulated twins of ARTIQ's core-device drivers, one driver a file as in
``artiq/coredevice``. Same constructor arguments, method names, units and range checks;
outputs become recorded signal events and inputs read the ion model."""
