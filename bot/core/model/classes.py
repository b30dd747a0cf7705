"""The vocabulary of findings: drift classes (in precedence order), diff ops and fix kinds."""

from __future__ import annotations

import enum
from typing import Final


class DriftClass(enum.StrEnum):
    """The drift classes of the seed write-up (contract: the slugs). Order = precedence."""

    SCHEMA_DEFAULTS = "schema-defaults"
    PHANTOM_DEFAULTS = "phantom-defaults"
    UNADOPTED = "unadopted"
    ZOMBIE = "zombie"
    CONTESTED = "contested"
    HOOK_LEFTOVER = "hook-leftover"
    INJECTED_FIELDS = "injected-fields"
    UNEXPLAINED = "unexplained"

    @property
    def letter(self) -> str:
        """The seed's letter (A..G); ``?`` for the residual class."""
        return _LETTERS[self]

    @property
    def title(self) -> str:  # type: ignore[override]  # str.title is shadowed on purpose
        """A short human name for messages."""
        return _TITLES[self]

    @property
    def benign(self) -> bool:
        """Whether drift of this class is noise rather than a change someone made."""
        return self is not DriftClass.UNEXPLAINED


_LETTERS: Final = dict(zip(DriftClass, "ABCDEFG?", strict=True))
_TITLES: Final = {
    DriftClass.SCHEMA_DEFAULTS: "CRD schema defaults",
    DriftClass.PHANTOM_DEFAULTS: "default-value phantom",
    DriftClass.UNADOPTED: "unadopted object",
    DriftClass.ZOMBIE: "zombie (not in git any more)",
    DriftClass.CONTESTED: "two apps own one object",
    DriftClass.HOOK_LEFTOVER: "terminal hook leftover",
    DriftClass.INJECTED_FIELDS: "chart/operator-injected fields",
    DriftClass.UNEXPLAINED: "unexplained",
}


class DiffOp(enum.StrEnum):
    """How a path differs, seen from git: ``added`` exists only live, ``removed`` only in git."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class FixKind(enum.StrEnum):
    """What kind of action a fix asks for (JSON ``fix.kind``)."""

    PIN_IN_GIT = "pin-in-git"
    DROP_FROM_GIT = "drop-from-git"
    ANNOTATE = "annotate"
    DELETE = "delete"
    DROP_DUPLICATE = "drop-duplicate"
    HOOK_DELETE_POLICY = "hook-delete-policy"
    IGNORE_DIFFERENCES = "ignore-differences"
    INVESTIGATE = "investigate"
