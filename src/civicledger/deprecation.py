"""Old public names that keep working, with a DeprecationWarning naming the new one."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["renamed_attributes", "warn_renamed"]


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` is deprecated in favour of ``new`` (both as the user writes them)."""
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=stacklevel)


def renamed_attributes(
    module: str, renames: Mapping[str, tuple[str, Callable[[], Any]]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` that serves old names, each with a warning.

    Args:
        module: the module's dotted name, for the messages.
        renames: old name -> (the new name as the user should write it, a function
            returning the object; called on use, so a module can name an object of a
            module above it without importing it).

    Returns:
        The ``__getattr__`` function to assign in the module.
    """

    def __getattr__(name: str) -> Any:
        if name not in renames:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, get = renames[name]
        warn_renamed(f"{module}.{name}", new)
        return get()

    return __getattr__
