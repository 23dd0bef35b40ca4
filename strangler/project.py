"""The user's project: the folder whose ``strangler.toml`` a command reads.

Commands find ``strangler.toml`` from the working directory upward, as tools find
``pyproject.toml``, so they work from any subfolder of the project. The project folder
goes on ``sys.path`` (and on ``PYTHONPATH``, for the servers ``strangler up`` starts), so
``--legacy-app myapp:app`` imports the user's ``myapp`` without ``PYTHONPATH=.``, as
uvicorn and flask do; and ``.strangler/`` (the embedded database, generated secrets) is
the project's, not the working directory's. A folder without ``strangler.toml`` is its own
project with an empty configuration: nothing falls back to another app.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "strangler.toml").write_text("")
    >>> (root / "src").mkdir()
    >>> locate(root / "src").config == root / "strangler.toml"
    True
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "strangler.toml"
STATE_DIR_VARIABLE = "STRANGLER_STATE_DIR"


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    config: Path | None  # None: no strangler.toml here or above

    @property
    def state_dir(self) -> Path:
        return self.root / ".strangler"


def find_config(start: Path) -> Path | None:
    """The nearest ``strangler.toml`` in ``start`` or a folder above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def locate(cwd: Path, explicit: Path | None = None) -> Project:
    """The project of ``explicit`` (a ``--config`` path), else the one around ``cwd``."""
    if explicit is not None:
        config = (cwd / explicit).resolve()
        return Project(config.parent, config)
    found = find_config(cwd.resolve())
    return Project(found.parent, found) if found else Project(cwd.resolve(), None)


def enter(project: Project, environ: MutableMapping[str, str]) -> None:
    """Make the project's modules importable here and in child processes, and its state
    folder the one every command uses (unless ``STRANGLER_STATE_DIR`` says otherwise)."""
    root = str(project.root)
    if root not in sys.path:
        sys.path.insert(0, root)
    paths = [p for p in environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        environ["PYTHONPATH"] = os.pathsep.join([root, *paths])
    environ.setdefault(STATE_DIR_VARIABLE, str(project.state_dir))
