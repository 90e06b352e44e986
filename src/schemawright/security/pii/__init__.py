"""PII protection (`security.pii`): `encrypt` stores PII columns as pgcrypto ciphertext with
blind indexes for lookups (encrypt.py), `mask` adds a masking view per table (mask.py),
`none` leaves the columns as they are.  A schema imported from a database declares no
`pii` choice, so nothing changes there."""

from __future__ import annotations

from schemawright import model as m
from schemawright.security.pii.encrypt import encrypt_pii
from schemawright.security.pii.mask import mask_pii, masked_view

__all__ = ["masked_view", "protect_pii"]


def protect_pii(design: m.Design) -> m.Design:
    """The pipeline stage: runs after the business rules (so their CHECKs and unique keys move
    with the encrypted columns) and before indexing (so indexes see the final columns)."""
    return mask_pii(encrypt_pii(design))
