"""Deprecated module: figure diffs and revisions live in :mod:`civicledger.revisions`."""

import functools

from civicledger import revisions
from civicledger.deprecation import renamed_attributes

__getattr__ = renamed_attributes(
    __name__,
    {
        name: (f"civicledger.revisions.{name}", functools.partial(getattr, revisions, name))
        for name in revisions.__all__
    },
)
