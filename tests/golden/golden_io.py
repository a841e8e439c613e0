"""save(path, tensors): a safetensors file of float64 / int64 torch tensors,
written with the standard library only (Debian's python3-torch has no
safetensors package). Shared by the golden-file scripts beside it."""
import json
import pathlib
import struct

import torch


def save(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        dtype = {torch.float64: "F64", torch.int64: "I64"}[t.dtype]
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
