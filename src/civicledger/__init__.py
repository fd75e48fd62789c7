"""civicledger: event-sourced civic record keeping."""

from civicledger._version import __version__

__all__ = ["__version__"]
