"""Normalisation theory: functional dependencies, closure, covers, keys, normal forms and
decompositions (3NF synthesis, BCNF). Pure and deterministic: no I/O, everything sorted."""

from .closure import ClosureIndex, ProjectionTooLarge, closure, equivalent, implies, project
from .cover import canonical_cover, merged
from .decompose import Decomposition, Relation, decompose_bcnf, is_lossless, preservation, synthesize_3nf
from .dependencies import FD, UnknownAttributes, fd
from .forms import NormalFormReport, Violation, analyse
from .keys import TooManyKeys, candidate_keys, prime_attributes

__all__ = [
    "FD",
    "ClosureIndex",
    "Decomposition",
    "NormalFormReport",
    "ProjectionTooLarge",
    "Relation",
    "TooManyKeys",
    "UnknownAttributes",
    "Violation",
    "analyse",
    "canonical_cover",
    "candidate_keys",
    "closure",
    "decompose_bcnf",
    "equivalent",
    "fd",
    "implies",
    "is_lossless",
    "merged",
    "preservation",
    "prime_attributes",
    "project",
    "synthesize_3nf",
]
