"""Calibration experiments for the calibration graph: measurement (generation) and analysis."""
