"""Build hook: compile the optional native hashing module, civicledger.merkle._native.

The module computes the v2 payload digest of SHA-256 ledgers in C with OpenSSL
(src/civicledger/merkle/_native.c; docs/design.md, "Native hashing"). It is optional:
where there is no C compiler or no OpenSSL headers, the build prints why and
makes a pure-Python wheel, which writes and verifies the same bytes, only slower.

Environment:
    CIVICLEDGER_PURE_PYTHON=1: do not compile it.
    CIVICLEDGER_REQUIRE_NATIVE=1: fail the build when it cannot be compiled (CI sets
        this, so that the tests always run against the native module as well).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = "src/civicledger/merkle/_native.c"


class NativeHashingHook(BuildHookInterface):
    """Compiles the native module into the package (and the wheel, unless editable)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("CIVICLEDGER_PURE_PYTHON") == "1":
            return
        try:
            built = _compile(Path(self.root))
        except Exception as e:  # a missing compiler or header shows as any of several errors
            if os.environ.get("CIVICLEDGER_REQUIRE_NATIVE") == "1":
                raise RuntimeError(
                    f"civicledger: the native hashing module did not compile ({e}); "
                    "CIVICLEDGER_REQUIRE_NATIVE=1 asks for it"
                ) from e
            print(
                f"civicledger: building without native hashing ({e.__class__.__name__}: {e}); "
                "the pure-Python path computes the same bytes, more slowly. It needs a C "
                "compiler and OpenSSL's headers (Debian: gcc libssl-dev).",
                file=sys.stderr,
            )
            return
        if version != "editable":  # an editable install imports it from src/ in place
            build_data["force_include"][str(built)] = f"civicledger/merkle/{built.name}"
            build_data["pure_python"] = False
            build_data["infer_tag"] = True


def _compile(root: Path) -> Path:
    """Compile the module next to its source and return the path of the library."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension(
        "civicledger.merkle._native",
        sources=[SOURCE],
        libraries=["crypto"],
    )
    distribution = Distribution({"ext_modules": [extension], "package_dir": {"": "src"}})
    command = build_ext(distribution)
    command.inplace = True
    with tempfile.TemporaryDirectory() as temporary:
        command.build_temp = temporary
        cwd = os.getcwd()
        os.chdir(root)  # setuptools resolves the source and package paths from here
        try:
            command.ensure_finalized()
            command.run()
            return root / command.get_ext_fullpath(extension.name)
        finally:
            os.chdir(cwd)
