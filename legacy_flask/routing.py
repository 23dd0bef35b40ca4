"""URL converters: ``<int:...>`` stops at bigint, so an id that cannot exist is a 404.

Example:
    >>> from werkzeug.routing import Map
    >>> BigIntConverter(Map()).max
    9223372036854775807
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter, IntegerConverter, Map

from legacy_flask.validation import MAX_BIGINT


class BigIntConverter(IntegerConverter):
    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_BIGINT)
        super().__init__(map, *args, **kwargs)


def install_converters(url_map: Map) -> None:
    converters: dict[str, type[BaseConverter]] = {"int": BigIntConverter}
    url_map.converters.update(converters)
