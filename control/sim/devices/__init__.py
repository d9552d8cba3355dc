"""Simulated twins of ARTIQ's core-device drivers, one driver a file as in
``artiq/coredevice``. Same constructor arguments, method names, units and range checks;
outputs become recorded signal events and inputs read the ion model.

Beside them: ``rtio`` (what every twin does to the RTIO: submit an event, record an
effect), ``spi`` (the Urukul's SPI bus, the timing twin of ``spi2.SPIMaster``),
``unmodelled`` (stubs for the methods a twin cannot model), ``generic`` (the fallback for
drivers without a twin) and ``local_controller`` (a lab instrument run in-process)."""
