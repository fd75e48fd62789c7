"""Which event class is stored under which type name and schema version."""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from civicledger.errors import EventDefinitionError, UnknownEventTypeError

if TYPE_CHECKING:
    from civicledger.events.base import Event

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns stored data of version n into data of version n + 1; pure, dict to dict."""


class EventRegistry:
    """Event classes by (type name, schema version), and the upcasters between versions.

    A registry only grows: a name and version, once registered, always mean the
    same class, so history is never reinterpreted. Registering the same class
    twice is harmless; registering another class under a taken name and version
    is an error.
    """

    def __init__(self) -> None:
        self._classes: dict[tuple[str, int], type[Event]] = {}
        self._newest: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._generation = 0

    def register(self, cls: type[Event]) -> None:
        """Register an event class under its ``__event_type__`` and ``__schema_version__``.

        Raises:
            EventDefinitionError: the name and version belong to another class.
        """
        key = (cls.__event_type__, cls.__schema_version__)
        existing = self._classes.get(key)
        if existing is cls:
            return
        if existing is not None:
            raise EventDefinitionError(
                f"event type {key[0]!r} version {key[1]} is already registered to "
                f"{existing.__module__}.{existing.__qualname__}; give the new class another "
                "name or a new schema version"
            )
        self._classes[key] = cls
        self._newest[key[0]] = max(self._newest.get(key[0], 0), key[1])
        self._generation += 1

    def add_upcaster(self, type_name: str, from_version: int, upcaster: Upcaster) -> None:
        """Register the function that turns ``from_version`` data into the next version's.

        Raises:
            EventDefinitionError: an upcaster for that step is already registered.
        """
        key = (type_name, from_version)
        if key in self._upcasters and self._upcasters[key] is not upcaster:
            raise EventDefinitionError(
                f"an upcaster from {type_name!r} version {from_version} is already registered"
            )
        if self._upcasters.get(key) is not upcaster:
            self._upcasters[key] = upcaster
            self._generation += 1

    @property
    def generation(self) -> int:
        """A number that changes whenever a class or upcaster is registered.

        Codecs cache per (type name, schema version) what decoding needs (the class,
        whether it is the newest version); a new generation tells them to rebuild.
        """
        return self._generation

    @property
    def classes(self) -> Mapping[tuple[str, int], type[Event]]:
        """A read-only view of every registered class by (name, version)."""
        return types.MappingProxyType(self._classes)

    def type_names(self) -> list[str]:
        """Every registered type name, sorted."""
        return sorted(self._newest)

    def newest_version(self, type_name: str) -> int:
        """The newest registered schema version of a type.

        Raises:
            UnknownEventTypeError: the type name is not registered.
        """
        try:
            return self._newest[type_name]
        except KeyError:
            raise UnknownEventTypeError(
                f"unknown event type {type_name!r}; register it with @civicledger.event",
                event_type=type_name,
            ) from None

    def newest(self, type_name: str) -> type[Event]:
        """The class for the newest schema version of a type.

        Raises:
            UnknownEventTypeError: the type name is not registered.
        """
        return self._classes[(type_name, self.newest_version(type_name))]

    def upcast(
        self, type_name: str, schema_version: int, data: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        """Bring stored data up to the newest schema version, one step at a time.

        Returns:
            The newest version and the data in that version's shape.

        Raises:
            UnknownEventTypeError: the type is unknown, the stored version is newer
                than any registered class, or a step has no upcaster.
        """
        newest = self.newest_version(type_name)
        if type(schema_version) is not int or schema_version < 1 or schema_version > newest:
            raise UnknownEventTypeError(
                f"event type {type_name!r} has no schema version {schema_version!r} "
                f"(newest registered: {newest})",
                event_type=type_name,
            )
        version = schema_version
        while version < newest:
            step = self._upcasters.get((type_name, version))
            if step is None:
                raise UnknownEventTypeError(
                    f"no upcaster from {type_name!r} version {version} to {version + 1}; "
                    f"register one with @civicledger.upcast({type_name!r}, from_version={version})",
                    event_type=type_name,
                )
            data = step(dict(data))
            version += 1
        return version, data


@functools.cache
def default_registry() -> EventRegistry:
    """The process-wide registry that ``@event`` and ``@upcast`` use by default.

    Built on first use, not at import, and only ever added to.
    """
    return EventRegistry()


def upcast(
    type_name: str, *, from_version: int, registry: EventRegistry | None = None
) -> Callable[[Upcaster], Upcaster]:
    """Register a function that upgrades stored data of one schema version to the next.

    Stored rows are never rewritten: upcasters run on read, and chain
    (v1 → v2 → v3). Decoding always yields the newest class.

    Args:
        type_name: the stored type name.
        from_version: the version the function reads; it returns ``from_version + 1`` data.
        registry: where to register; the default registry if None.

    Returns:
        A decorator that registers the function and returns it unchanged.
    """

    def decorate(fn: Upcaster) -> Upcaster:
        (registry if registry is not None else default_registry()).add_upcaster(
            type_name, from_version, fn
        )
        return fn

    return decorate
