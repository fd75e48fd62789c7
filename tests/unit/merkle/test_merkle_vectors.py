"""The public RFC 9162 vectors (transparency-dev/merkle): accept and reject exactly as they say."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from civicledger.errors import VerificationError
from civicledger.merkle import SHA256, verify_consistency, verify_inclusion

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "rfc9162"


def _load(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(path, id=str(path.relative_to(VECTORS / kind))) for path in files]


INCLUSION = _load("inclusion")
CONSISTENCY = _load("consistency")


def _hashes(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value) for value in values]


def test_every_vector_file_is_collected() -> None:
    """All 196 vector files are found, so none can silently drop out of the suite."""
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("path", INCLUSION)
def test_inclusion_vector(path: Path) -> None:
    """verify_inclusion accepts the vector exactly when it has wantErr false."""
    case = json.loads(path.read_text())
    check = lambda: verify_inclusion(  # noqa: E731
        SHA256,
        case["leafIdx"],
        case["treeSize"],
        base64.b64decode(case["leafHash"]),
        _hashes(case["proof"] or []),
        base64.b64decode(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", CONSISTENCY)
def test_consistency_vector(path: Path) -> None:
    """verify_consistency accepts the vector exactly when it has wantErr false."""
    case = json.loads(path.read_text())
    check = lambda: verify_consistency(  # noqa: E731
        SHA256,
        case["size1"],
        case["size2"],
        _hashes(case["proof"] or []),
        base64.b64decode(case["root1"]),
        base64.b64decode(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(VerificationError):
            check()
    else:
        check()
