"""Values worked out from an object, remembered by that very object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class ObjectMemo(Generic[V]):
    """At most ``size`` values, each remembered by the object it was made from (the oldest is
    dropped first). The object is held beside its value, so its id cannot be reused by another
    object while remembered; objects are assumed not to change once given (a loaded year's
    tables)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._memo: dict[int, tuple[Any, V]] = {}

    def get(self, obj: Any, make: Callable[[Any], V]) -> V:
        """``make(obj)``, worked out once per object."""
        hit = self._memo.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        value = make(obj)
        if len(self._memo) >= self.size:
            self._memo.pop(next(iter(self._memo)))
        self._memo[id(obj)] = (obj, value)
        return value

    def clear(self) -> None:
        """Forget every value."""
        self._memo.clear()
