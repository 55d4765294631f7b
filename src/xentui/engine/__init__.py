"""The engine: SSH sessions to every host, probes, facts, the pool's diagnosis over time.

asyncssh is first imported here, once, without its search for liboqs: at import it asks
`ctypes.util.find_library` for "oqs" and "liboqs", which on Linux runs `ldconfig -p`, then
`gcc` and `ld` as subprocesses for each name: 30-45 ms of every `xentui status` (one paired
whole-process run: `import asyncssh` 0.85x without it). liboqs only adds the
sntrup761x25519 key exchange; XenServer/XCP-ng sshd offer curve25519-sha256, which asyncssh
does with `cryptography` alone (as it does ML-KEM when OpenSSL has it).
"""

from __future__ import annotations

import ctypes.util
import sys

if "asyncssh" not in sys.modules:
    _find_library = ctypes.util.find_library

    def _no_liboqs(name: str) -> str | None:
        return None if name in ("oqs", "liboqs") else _find_library(name)

    ctypes.util.find_library = _no_liboqs
    try:
        import asyncssh  # noqa: F401
    finally:
        ctypes.util.find_library = _find_library
