"""Generated Clifford tables (clifford_tables.npz) and the script that makes them."""
