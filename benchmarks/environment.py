"""Facts about the machine and the software a run measured, for the results file."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_name() -> str:
    """A file-name-safe name for this machine."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", platform.node() or "machine").strip("-") or "machine"


def git_commit() -> str | None:
    """The commit of the working tree, if it is a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def source_state() -> str | None:
    """The commit of the working tree plus ``+dirty`` when files under ``src/`` differ from it.

    Other people may change the code while a long run goes on; each scenario records
    the state of the code it imported.
    """
    commit = git_commit()
    if commit is None:
        return None
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.CalledProcessError):
        return commit
    return commit + ("+dirty" if out.stdout.strip() else "")


SERVER_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "jit")
"""The server settings that move the PostgreSQL scenarios most, recorded with each run:
a roll-up that reads more rows than ``shared_buffers`` holds runs several times slower."""


def postgres_version(url: str | None) -> str | None:
    """The PostgreSQL server's version string and memory settings, or None when unreachable."""
    if not url:
        return None
    try:
        import psycopg

        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            settings = [
                f"{name} {connection.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
                for name in SERVER_SETTINGS
            ]
        return None if row is None else f"{row[0]}; {', '.join(settings)}"
    except Exception:
        return None


def native_hashing() -> str:
    """Whether civicledger's native hashing module is in use (and if not, why)."""
    from civicledger.merkle import native

    if native.available():
        return "yes"
    if os.environ.get("CIVICLEDGER_PURE_PYTHON") == "1":
        return "no (CIVICLEDGER_PURE_PYTHON=1)"
    return "no (not built)"


def describe(postgres_url: str | None) -> dict[str, Any]:
    """Everything a reader needs to compare this run with another."""
    now = datetime.datetime.now(datetime.UTC)
    return {
        "date": now.strftime("%Y-%m-%d"),
        "started_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_name(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": _version("SQLAlchemy"),
        "eventsourcing": _version("eventsourcing"),
        "orjson": _version("orjson"),
        "psycopg": _version("psycopg"),
        "postgresql": postgres_version(postgres_url),
        "civicledger": _version("civicledger"),
        "native_hashing": native_hashing(),
        "commit": git_commit(),
        "executable": sys.executable,
    }
