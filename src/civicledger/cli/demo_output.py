"""What the demos hand their reader: the demo's signing keys, and commands as the reader
types them, among them the one that checks an evidence bundle offline with
``examples/verify_evidence.py``."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from civicledger.errors import CivicLedgerError

if TYPE_CHECKING:
    from civicledger.audit import Signer

KEYS = "keys"
"""The folder, inside the demo's, that holds its key pairs."""

VERIFIER = "verify_evidence.py"
"""The offline verifier: standard library and ``cryptography``, nothing from civicledger."""

KEY_NOTE = (
    "Demo keys: made for this run, their secret halves (.key) in {keys} beside the rest.\n"
    "A real office makes its key once (civicledger keygen), keeps the .key file secret on\n"
    "the machine that seals, out of the database's backups, and publishes the .pub file."
)
"""Said after every demo: its private keys sit next to its files, which no office's may."""


def write_key_pair(directory: Path, signer: Signer) -> Path:
    """Write a demo run's key pair as ``civicledger keygen`` does: ``DIR/keys/NAME.key``
    (secret, owner-only) and ``DIR/keys/NAME.pub``; return the ``.pub`` file's path.

    The demos make fresh keys each run (``Signer.generate``), since they rebuild their
    ledgers each run too; a last run's files of the same name are replaced.
    """
    (directory / KEYS).mkdir(parents=True, exist_ok=True)
    secret = key_file(directory, signer.name, "key")
    secret.unlink(missing_ok=True)  # so that the new one is owner-only from the start
    descriptor = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        f.write(signer.to_text() + "\n")
    public = key_file(directory, signer.name, "pub")
    public.write_text(signer.verifier().to_text() + "\n", encoding="utf-8")
    return public


def key_file(directory: Path, name: str, suffix: str) -> Path:
    """Where a demo key of this name is (``suffix``: ``key`` or ``pub``)."""
    return directory / KEYS / f"{name}.{suffix}"


def verifier_script() -> Path:
    """Where the offline verifier is: inside the installed package, or the checkout.

    Raises:
        CivicLedgerError: neither place has it.
    """
    packaged = Path(str(resources.files("civicledger"))) / "_examples" / "verifier" / VERIFIER
    checkout = Path(__file__).resolve().parents[3] / "examples" / VERIFIER
    for candidate in (packaged, checkout):
        if candidate.is_file():
            return candidate
    raise CivicLedgerError(
        f"the offline verifier is missing (looked for {packaged} and {checkout})"
    )


def offline_check(bundle: Path, keys: Sequence[Path], cosigner_keys: Sequence[Path] = ()) -> str:
    """The command that checks a bundle offline, as a reader types it from where the demo
    ran, one key per continued line."""
    words = [python_command(), shown(verifier_script()), shown(bundle)]
    options = [f"--key {shown(k)}" for k in keys]
    options += [f"--cosigner-key {shown(k)}" for k in cosigner_keys]
    return " \\\n      ".join([" ".join(words), *options])


def civicledger_command() -> str:
    """How the reader runs civicledger: by name when that name finds this program, else
    by its path (``scripts/demo`` installs it into ``.venv/``, which the reader's shell
    has not activated, so a bare ``civicledger`` would not be found)."""
    running = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if running is None or running.name != "civicledger":
        return "civicledger"  # run as python -m civicledger, or inside a test
    found = shutil.which("civicledger")
    if found is not None and Path(found).resolve() == running:
        return "civicledger"
    return shown(running)


def python_command() -> str:
    """How the reader runs this Python, which has ``cryptography`` (the verifier needs it):
    ``python`` when that name finds this very program, else its path. Not resolved: a
    virtual environment's python is a link to one that lacks the environment's packages."""
    here = os.path.abspath(sys.executable)
    found = shutil.which("python")
    if found is not None and os.path.abspath(found) == here:
        return "python"
    return shown(Path(here), resolve=False)


def shown(path: Path, *, resolve: bool = True) -> str:
    """A path as a reader types it: relative to the current folder when inside it, quoted."""
    absolute = path.resolve() if resolve else Path(os.path.abspath(path))
    try:
        text = os.path.relpath(absolute)
    except ValueError:  # another drive on Windows
        text = str(absolute)
    if text.startswith(".."):
        text = str(absolute)
    return shlex.quote(text)
