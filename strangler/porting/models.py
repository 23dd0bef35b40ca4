"""Pydantic v2 model source from a recorded JSON Schema (``rollout.traffic.shapes``).

An object becomes a class; a nested object a class of its own, named after its parent and
field (``Account`` + ``owner`` -> ``AccountOwner``); a key every sample had is required,
one seen as null is ``T | None``, one some samples lacked is ``T | None = None``. Formats
give types (``date-time`` -> ``datetime``, ``uuid`` -> ``UUID``); a key that is not a
Python name gets an alias.

Example:
    >>> models = ModelSource()
    >>> models.annotation("Account", {"type": "object", "required": ["id"],
    ...     "properties": {"id": {"type": "integer"}, "nickname": {"type": "string"}}})
    'Account'
    >>> print(models.render())
    class Account(BaseModel):
        id: int
        nickname: str | None = None
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field

from rollout.traffic.shapes import Schema, is_nullable, without_null

_FORMATS = {"date-time": "datetime", "date": "date", "uuid": "UUID"}
_SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}
# What a rendered module must import for the annotations it uses.
IMPORTS = {
    "datetime": "from datetime import datetime",
    "date": "from datetime import date",
    "UUID": "from uuid import UUID",
    "Any": "from typing import Any",
    "Field": "from pydantic import Field",
}


@dataclass
class ModelSource:
    """Collects the classes that annotations need, in dependency order."""

    classes: dict[str, list[str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # names from IMPORTS that the code needs

    def annotation(self, name: str, schema: Schema) -> str:
        """The type of a value of ``schema``, defining classes (named from ``name``)."""
        nullable = is_nullable(schema)
        rest = without_null(schema)
        if "anyOf" in rest:
            parts = [self.annotation(name, variant) for variant in rest["anyOf"]]
            text = " | ".join(dict.fromkeys(parts))
        else:
            text = self._single(name, rest)
        if nullable:
            return "None" if text == "Any" and not rest else f"{text} | None"
        return text

    def parameter(self, schema: Schema) -> str:
        """A path or query parameter's annotation: a scalar, else ``str``."""
        if schema.get("type") not in _SCALARS:
            return "str"
        return self.annotation("Parameter", schema)

    def render(self) -> str:
        return "\n\n\n".join("\n".join(lines) for lines in self.classes.values())

    def _single(self, name: str, schema: Schema) -> str:
        kind = schema.get("type")
        if kind in _SCALARS:
            found = _FORMATS.get(schema.get("format", "")) if kind == "string" else None
            if found:
                self.used.add(found)
            return found or _SCALARS[str(kind)]
        if kind == "array":
            if "items" not in schema:
                self.used.add("Any")
                return "list[Any]"
            return f"list[{self.annotation(singular(name), schema['items'])}]"
        if kind == "object" and "properties" in schema:
            return self._model(name, schema)
        self.used.add("Any")
        return "dict[str, Any]" if kind == "object" else "Any"

    def _model(self, name: str, schema: Schema) -> str:
        class_name = self._free(class_name_of(name))
        self.classes[class_name] = []  # reserved before its fields define their own
        required = set(schema.get("required", ()))
        lines = [f"class {class_name}(BaseModel):"]
        for key, value in schema["properties"].items():
            lines.append("    " + self._field(class_name, key, value, key in required))
        if len(lines) == 1:
            lines.append("    pass")
        del self.classes[class_name]
        self.classes[class_name] = lines  # after the classes its fields refer to
        return class_name

    def _field(self, owner: str, key: str, schema: Schema, required: bool) -> str:
        annotation = self.annotation(owner + class_name_of(key), schema)
        name = python_name(key)
        default = "" if required else " = None"
        if not required and not annotation.endswith("| None") and annotation != "None":
            annotation += " | None"
        if name != key:
            self.used.add("Field")
            fallback = "" if required else "None, "
            return f"{name}: {annotation} = Field({fallback}alias={json.dumps(key)})"
        return f"{name}: {annotation}{default}"

    def _free(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.classes:
            candidate, n = f"{name}{n}", n + 1
        return candidate


def class_name_of(text: str) -> str:
    """``"ledger_entries"`` -> ``"LedgerEntries"``; ``"2fa"`` -> ``"Model2fa"``."""
    parts = re.split(r"[^0-9a-zA-Z]+", text)
    name = "".join(part[:1].upper() + part[1:] for part in parts if part)
    return name if name and not name[0].isdigit() else f"Model{name}"


def python_name(key: str) -> str:
    """A field name for JSON key ``key`` (the alias keeps the key itself)."""
    name = re.sub(r"\W", "_", key)
    if not name or name[0].isdigit():
        name = f"field_{name}"
    if keyword.iskeyword(name) or name in ("model_config", "model_fields"):
        name += "_"
    return name


def singular(name: str) -> str:
    return name[:-1] + "Item" if name.endswith("s") else name + "Item"


def import_lines(used: set[str]) -> list[str]:
    return [IMPORTS[name] for name in sorted(used) if name in IMPORTS]
