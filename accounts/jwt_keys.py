"""HS256 tokens verified without re-checking the key each time.

PyJWT checks on every encode and decode that an HMAC secret is not a PEM, SSH or DER public key
(an algorithm-confusion guard); the DER check tries to load the secret as a key. For the one
configured secret that answer never changes, yet it was a twentieth of a WebSocket handshake's
CPU. The algorithms registered here remember the prepared key of the secrets they have seen,
after the same checks.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

HASHES = {
    "HS256": HMACAlgorithm.SHA256,
    "HS384": HMACAlgorithm.SHA384,
    "HS512": HMACAlgorithm.SHA512,
}


class PreparedKeyHMAC(HMACAlgorithm):
    def __init__(self, hash_alg: Callable[..., Any]) -> None:
        super().__init__(hash_alg)
        # A handful of secrets at most (a rotation keeps the old one a while).
        self._prepared = lru_cache(maxsize=8)(super().prepare_key)

    def prepare_key(self, key: str | bytes) -> bytes:
        return self._prepared(key)


def install() -> None:
    """Use them for PyJWT's module-level encode and decode (which simplejwt calls)."""
    for name, hash_alg in HASHES.items():
        jwt.unregister_algorithm(name)
        jwt.register_algorithm(name, PreparedKeyHMAC(hash_alg))
