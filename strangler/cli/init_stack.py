"""What ``strangler init`` reads in a project's source beyond its apps: the login library (for
sticky canaries) and where each app keeps its database (for parity in savepoints).

By reading, never running: ``flask_login`` imported means flask-login's session key
``_user_id``; ``flask_sqlalchemy`` imported means the legacy stack ``flask_sqlalchemy``; a
module-level ``X = async_sessionmaker(...)`` means the new stack
``sqlalchemy_async:module:X``. What is not found is written commented, for the user to fill.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "models.py").write_text("from flask_login import UserMixin\\n")
    >>> detect(root).session_key
    '_user_id'
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

SKIPPED = {"node_modules", "site-packages", "__pycache__", "tests", "test"}
FLASK_LOGIN_KEY = "_user_id"  # where flask-login keeps the logged-in user's id


@dataclass(frozen=True, slots=True)
class Stack:
    session_key: str = ""
    legacy_db: str = ""
    new_db: str = ""


def detect(root: Path) -> Stack:
    session_key = legacy_db = new_db = ""
    for path in _sources(root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        imported = _imported(tree)
        if "flask_login" in imported:
            session_key = FLASK_LOGIN_KEY
        if "flask_sqlalchemy" in imported:
            legacy_db = "flask_sqlalchemy"
        factory = _async_sessionmaker(tree)
        if factory and not new_db:
            new_db = f"sqlalchemy_async:{_module(root, path)}:{factory}"
    return Stack(session_key, legacy_db, new_db)


def _sources(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        # pruned, not filtered: a site-packages inside the project is never walked
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in SKIPPED]
        found.extend(Path(folder) / name for name in files if name.endswith(".py"))
    return sorted(found)


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _async_sessionmaker(tree: ast.Module) -> str:
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            target = node.targets[0]
            if name == "async_sessionmaker" and isinstance(target, ast.Name):
                return target.id
    return ""


def _module(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)
