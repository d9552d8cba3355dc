"""Hardware-in-the-loop checks of a trap: run against a real crate before trusting it with
real work, and against its simulated twin in every ``make test``."""
