"""The error corpus: tests/fixtures/real/errors/<release>/every-code.txt, read back.

Each file holds every error of xapi's datamodel at the release's tag (extract.py
there writes them): a line ``=== <CODE>``, then exactly what ``xe`` prints on
stderr for that error, up to the next ``=== `` line.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CODES_AT_TAG", "ERRORS", "SHARED_WORDINGS", "TAGS", "read_error_corpus", "release_corpus"]

ERRORS = Path(__file__).parent.parent / "fixtures" / "real" / "errors"
BLOCK = "=== "

# release directory -> xapi tag (as extract.py's RELEASES, which the corpus test compares against)
TAGS: dict[str, str] = {
    "current": "v26.17.0",
    "xenserver-8": "v25.39.0",
    "xcpng-8.3": "v24.39.0",
    "xcpng-8.2": "v1.249.40",
    "citrix-8.2": "v1.249.3",
    "xenserver-7.1": "v1.14.61",
}

# How many `error Api_errors.x` the datamodel declares at each tag, counted from the
# mirror (`git show <tag>:ocaml/idl/datamodel_errors.ml | grep -c 'error Api_errors'`,
# datamodel.ml at v1.14.61). Written here by hand, not by extract.py, so that a
# generator or fixture that drops a code fails the corpus test even without the mirror;
# with the mirror, the test also checks these figures against it.
CODES_AT_TAG: dict[str, int] = {
    "v26.17.0": 603,
    "v25.39.0": 577,
    "v24.39.0": 561,
    "v1.249.40": 519,
    "v1.249.3": 517,
    "v1.14.61": 429,
}

# Codes that print the same wording with the same parameter names (every release that
# has them): xe's stderr cannot tell them apart, so parse_xe_error names none of them
# (code None) and lists them all in `candidates`. Found by the corpus test; a new
# sharing makes it fail until it is looked at and added here.
SHARED_WORDINGS: tuple[frozenset[str], ...] = (
    frozenset({"AUTH_DISABLE_FAILED", "AUTH_DISABLE_FAILED_PERMISSION_DENIED", "AUTH_DISABLE_FAILED_WRONG_CREDENTIALS"}),
    frozenset({"AUTH_ENABLE_FAILED", "AUTH_ENABLE_FAILED_DOMAIN_LOOKUP_FAILED", "AUTH_ENABLE_FAILED_INVALID_ACCOUNT",
               "AUTH_ENABLE_FAILED_INVALID_OU", "AUTH_ENABLE_FAILED_PERMISSION_DENIED",
               "AUTH_ENABLE_FAILED_UNAVAILABLE", "AUTH_ENABLE_FAILED_WRONG_CREDENTIALS"}),
    frozenset({"POOL_AUTH_DISABLE_FAILED", "POOL_AUTH_DISABLE_FAILED_PERMISSION_DENIED",
               "POOL_AUTH_DISABLE_FAILED_WRONG_CREDENTIALS"}),
    frozenset({"POOL_AUTH_ENABLE_FAILED", "POOL_AUTH_ENABLE_FAILED_DOMAIN_LOOKUP_FAILED",
               "POOL_AUTH_ENABLE_FAILED_DUPLICATE_HOSTNAME", "POOL_AUTH_ENABLE_FAILED_INVALID_ACCOUNT",
               "POOL_AUTH_ENABLE_FAILED_INVALID_OU", "POOL_AUTH_ENABLE_FAILED_PERMISSION_DENIED",
               "POOL_AUTH_ENABLE_FAILED_UNAVAILABLE", "POOL_AUTH_ENABLE_FAILED_WRONG_CREDENTIALS"}),
    frozenset({"SERVER_CERTIFICATE_EXPIRED", "TRUSTED_CERTIFICATE_EXPIRED"}),
    frozenset({"SERVER_CERTIFICATE_INVALID", "TRUSTED_CERTIFICATE_INVALID"}),
    frozenset({"SERVER_CERTIFICATE_NOT_VALID_YET", "TRUSTED_CERTIFICATE_NOT_VALID_YET"}),
)


def read_error_corpus(text: str) -> dict[str, str]:
    """CODE -> its stderr text, in file order. Raises on a text before the first block or a repeated code."""
    corpus: dict[str, str] = {}
    code: str | None = None
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith(BLOCK):
            if code is not None:
                corpus[code] = "".join(lines)
            code, lines = line[len(BLOCK):].strip(), []
            if not code or code in corpus:
                raise ValueError(f"empty or repeated block {line!r}")
        elif code is None:
            raise ValueError(f"text before the first {BLOCK!r} line: {line!r}")
        else:
            lines.append(line)
    if code is not None:
        corpus[code] = "".join(lines)
    return corpus


def release_corpus(release: str) -> dict[str, str]:
    """The corpus of one release directory."""
    return read_error_corpus((ERRORS / release / "every-code.txt").read_text(encoding="utf-8"))
