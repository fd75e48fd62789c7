"""MkDocs hooks: publish the repository's CHANGELOG.md as the site's changelog page.

Keeping one copy (at the root, where Keep a Changelog puts it) means the site
cannot show a stale changelog. Hooks need no plugin package; mkdocs.yml names
this file under ``hooks:``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


def on_files(files: Files, config: Any) -> Files:
    """Add changelog.md, with CHANGELOG.md's text, to the site's files."""
    files.append(
        File.generated(config, "changelog.md", content=CHANGELOG.read_text(encoding="utf-8"))
    )
    return files
