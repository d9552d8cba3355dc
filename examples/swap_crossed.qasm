OPENQASM 2.0;
include "qelib1.inc";
// X on q[0], swap, measurements crossed into a 3-bit register: always 001
// (q[1] holds the 1 after the swap and goes to c[0]; c[1] is never written; c[2] = q[0] = 0)
qreg q[2];
creg c[3];
x q[0];
swap q[0], q[1];
measure q[0] -> c[2];
measure q[1] -> c[0];
