"""Writes the data of examples/npy_data.cnr: x.npy (48 x 24), y.npy (48) and w.npy (8).

The NumPy format is written directly (version 1.0: magic, header dict, little-endian float64 data),
so the script needs only the standard library, and the files exercise cnr's reader with bytes that
no Rust code produced. The labels follow the planted model with relu, kernel 8, stride 8 and unit
output weights: y_i = sum_k relu(<w, x_ik>).
"""
import random
import struct


def write_npy(path, shape, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }" % (
        "(%d,)" % shape[0] if len(shape) == 1 else "(" + ", ".join(str(s) for s in shape) + ")"
    )
    # Pad so that magic (6) + version (2) + length (2) + header + newline is a multiple of 64.
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(struct.pack("<%dd" % len(values), *values))


rng = random.Random(2024)
n, length, kernel = 48, 24, 8
w = [rng.gauss(0.0, 1.0) for _ in range(kernel)]
x = [[rng.gauss(0.0, 1.0) for _ in range(length)] for _ in range(n)]
y = []
for row in x:
    total = 0.0
    for k in range(length // kernel):
        z = sum(wj * xj for wj, xj in zip(w, row[k * kernel:(k + 1) * kernel]))
        total += max(z, 0.0)
    y.append(total)
write_npy("x.npy", (n, length), [v for row in x for v in row])
write_npy("y.npy", (n,), y)
write_npy("w.npy", (kernel,), w)
