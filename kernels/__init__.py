"""Portable protocols (randomized benchmarking, Rabi, Ramsey, readout, qiskit circuits),
written against the HAL only: they import nothing but ``control``, so every trap runs
them unchanged."""
