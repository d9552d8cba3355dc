OPENQASM 2.0;
include "qelib1.inc";
// GHZ state (|000> + |111>)/sqrt(2) on 3 qubits: counts 000 and 111, half each.
// Both traps of this project (yb171, ca40) hold 2 ions, so `control circuit` refuses this
// circuit ("the circuit has 3 qubits; this trap has 2"); on 2 qubits GHZ is bell.qasm.
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
measure q -> c;
