"""Values a run generates (ids, timestamps) become placeholders before anything is compared.

Legacy and the port, each in its own transaction, draw different sequence values and
random ids, and stamp different times. ``Normaliser`` learns the generated values from
the rows a case inserted (their primary keys) and from the run's start time, then
rewrites responses and row changes: an inserted ``orders.id`` of 57 becomes
``<orders.id#1>`` wherever it appears (an ``id``/``*_id`` field, an ``ord_…`` string,
inside a stored JSON answer), and a timestamp after the run started becomes ``<now>``.
Seeded values are left alone, so a wrong id or date of existing data is still caught.

Example:
    >>> from datetime import datetime, UTC
    >>> n = Normaliser(datetime(2026, 1, 1, tzinfo=UTC))
    >>> n.learn_insert("orders", ("ord_" + "a" * 24,))
    >>> n.value({"id": "ord_" + "a" * 24, "created_at": "2027-01-01T00:00:00.000000Z"})
    {'id': '<orders.id#1>', 'created_at': '<now>'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from parity_tests.capture import RowChange, TableKeys

NOW = "<now>"
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:\d{2})?)$")


class Normaliser:
    def __init__(self, run_started: datetime) -> None:
        self._started = run_started
        self._names: dict[Any, str] = {}
        self._counts: dict[str, int] = {}

    def learn(self, changes: Iterable[RowChange], keys: TableKeys) -> None:
        for change in changes:
            if change.op == "insert":
                self.learn_insert(change.table, change.key, keys.get(change.table, ("id",)))

    def learn_insert(
        self, table: str, key: Sequence[Any], columns: Sequence[str] = ("id",)
    ) -> None:
        for column, value in zip(columns, key, strict=False):
            if (type(value), value) in self._names or not _is_generated_kind(column, value):
                continue
            label = f"{table}.{column}"
            self._counts[label] = self._counts.get(label, 0) + 1
            self._names[(type(value), value)] = f"<{label}#{self._counts[label]}>"

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item, key) for item in value]
        if isinstance(value, str):
            return self._string(value)
        if isinstance(value, int) and not isinstance(value, bool) and _is_id_key(key):
            return self._names.get((int, value), value)
        return value

    def body(self, body: bytes) -> bytes:
        """A JSON body rewritten; anything else is returned as it is."""
        try:
            parsed = json.loads(body)
        except ValueError:
            return body
        return json.dumps(self.value(parsed), sort_keys=True).encode()

    def changes(self, changes: Iterable[RowChange]) -> list[dict[str, Any]]:
        """Grouped by table (stable within one): the order of statements across tables is
        an implementation detail, the order of rows within a table is not (ids follow it)."""
        return [self._change(change) for change in sorted(changes, key=lambda c: c.table)]

    def _change(self, change: RowChange) -> dict[str, Any]:
        document: dict[str, Any] = {"table": change.table, "op": change.op}
        document["key"] = [self.value(part, "id") for part in change.key]
        if change.op == "update" and change.before is not None and change.after is not None:
            changed = [c for c in change.after if change.after[c] != change.before.get(c)]
            document["before"] = self.value({c: change.before.get(c) for c in changed})
            document["after"] = self.value({c: change.after[c] for c in changed})
        elif change.op == "insert":
            document["after"] = self.value(change.after)
        else:
            document["before"] = self.value(change.before)
        return document

    def _string(self, text: str) -> Any:
        named = self._names.get((str, text))
        if named is not None:
            return named
        if _TIMESTAMP.match(text):
            return NOW if self._is_fresh(text) else text
        if text[:1] in "{[":
            try:
                return self.value(json.loads(text))
            except ValueError:
                return text
        return text

    def _is_fresh(self, text: str) -> bool:
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
        except ValueError:
            return False
        return stamp.tzinfo is not None and stamp >= self._started


def _is_id_key(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _is_generated_kind(column: str, value: Any) -> bool:
    return _is_id_key(column) and isinstance(value, str | int) and not isinstance(value, bool)
