"""``strangler init``: set a project up from its own folder.

Finds the Flask app (``FLASK_APP``, else ``wsgi.py``, ``app.py``, ``application.py``,
``main.py`` or a top-level package's ``__init__.py`` holding an ``app = Flask(...)`` or a
``create_app()`` factory) and an ASGI app if there is one (``FastAPI(...)`` or
``Starlette(...)``), by reading the source, not running it; then imports what it found to
say whether it loads. Writes a commented ``strangler.toml`` and a ``.gitignore`` line for
``.strangler/``, and prints the next commands.

Example:
    strangler init            # in the folder holding wsgi.py
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

import typer

from strangler.cli._common import fail
from strangler.cli.init_stack import FLASK_LOGIN_KEY, Stack, detect
from strangler.project import CONFIG_NAME

CANDIDATE_FILES = ("wsgi.py", "app.py", "application.py", "main.py", "asgi.py")
FACTORY_NAMES = ("create_app", "make_app")
FLASK_CLASSES = ("Flask",)
ASGI_CLASSES = ("FastAPI", "Starlette")
STATE_LINE = ".strangler/"
LEGACY_DB_EXAMPLE = ("flask_sqlalchemy", "or sessionmaker:module:Session")
NEW_DB_EXAMPLE = ("sqlalchemy_async:module:SessionLocal", "or asyncpg_pool:state.pool")


@dataclass(frozen=True, slots=True)
class Found:
    target: str  # "module:attribute" or "module:factory()"
    why: str  # where and how it was found, for the comment in strangler.toml


def init(
    legacy_app: str | None = typer.Option(None, help="Import string of the Flask app."),
    new_app: str | None = typer.Option(None, help="Import string of the ASGI app."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing strangler.toml."),
) -> None:
    """Write strangler.toml for the Flask app in this folder, and say what to run next."""
    root = Path.cwd()
    config = root / CONFIG_NAME
    if config.exists() and not force:
        fail(f"{config} exists (--force writes it anew)")
    legacy = Found(legacy_app, "--legacy-app") if legacy_app else find_flask_app(root)
    if legacy is None:
        fail("no Flask app found (FLASK_APP, wsgi.py, app.py, ...): name it with --legacy-app")
    new = Found(new_app, "--new-app") if new_app else find_asgi_app(root)
    stack = detect(root)
    config.write_text(render(legacy, new, stack))
    ignored = ignore_state(root / ".gitignore")
    typer.echo(f"wrote {config.name}: legacy {legacy.target} ({legacy.why})")
    typer.echo(f"  new {new.target} ({new.why})" if new else "  no ASGI app found yet")
    for found in (legacy, new):
        if found is not None:
            _say_whether_it_loads(found)
    for line in _stack_lines(stack):
        typer.echo(line)
    if ignored:
        typer.echo(f"added {STATE_LINE} to .gitignore (the embedded database and secrets)")
    typer.echo(NEXT)


NEXT = """
next:
  strangler routes          # the route table: who serves each route
  strangler serve           # the router on http://127.0.0.1:8000, every route on legacy
  strangler flags set "GET /some/route" --mode shadow   # compare new with legacy"""


def find_flask_app(root: Path) -> Found | None:
    from_env = os.environ.get("FLASK_APP", "").strip()
    if from_env:
        module = from_env.removesuffix(".py").replace("/", ".")
        if ":" in module:
            return Found(module, "FLASK_APP")
        return Found(_in_module(root, module, FLASK_CLASSES) or f"{module}:app", "FLASK_APP")
    for module, path in _candidates(root):
        target = _in_source(module, path, FLASK_CLASSES, factories=True)
        if target:
            return Found(target, f"{path.relative_to(root)}")
    return None


def find_asgi_app(root: Path) -> Found | None:
    for module, path in _candidates(root):
        target = _in_source(module, path, ASGI_CLASSES, factories=False)
        if target:
            return Found(target, f"{path.relative_to(root)}")
    return None


def _candidates(root: Path) -> list[tuple[str, Path]]:
    files = [(name.removesuffix(".py"), root / name) for name in CANDIDATE_FILES]
    packages = sorted(p.parent for p in root.glob("*/__init__.py"))
    files += [(p.name, p / "__init__.py") for p in packages if not p.name.startswith(".")]
    for package in packages:
        files += [(f"{package.name}.{n.removesuffix('.py')}", package / n) for n in CANDIDATE_FILES]
    return [(module, path) for module, path in files if path.is_file()]


def _in_module(root: Path, module: str, classes: tuple[str, ...]) -> str | None:
    path = root / (module.replace(".", "/") + ".py")
    if not path.is_file():
        path = root / module.replace(".", "/") / "__init__.py"
    return _in_source(module, path, classes, factories=True) if path.is_file() else None


def _in_source(module: str, path: Path, classes: tuple[str, ...], factories: bool) -> str | None:
    """``module:name`` of a module-level ``name = Class(...)``, else of a factory."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and _constructs(node.value, classes):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if names:
                return f"{module}:{names[0]}"
    if factories:
        factories_here = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        for node in factories_here:
            if node.name in FACTORY_NAMES and _callable_bare(node):
                return f"{module}:{node.name}()"
    return None


def _callable_bare(node: ast.FunctionDef) -> bool:
    """strangler calls a factory with no arguments: each must have a default."""
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    return positional == len(args.defaults) and None not in args.kw_defaults


def _constructs(value: ast.expr, classes: tuple[str, ...]) -> bool:
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in classes


def _stack_lines(stack: Stack) -> list[str]:
    said = [f"  sticky canaries by flask-login's {stack.session_key}"] if stack.session_key else []
    for side, found in (("legacy", stack.legacy_db), ("new", stack.new_db)):
        if found:
            said.append(f"  parity holds the {side} database as {found}")
    return said


def _setting(key: str, value: str, example: str, why: str) -> str:
    """``key = "value"``, or the example commented out when nothing was found."""
    line = f'{key} = "{value or example}"'
    return f"{line:<36} # {why}" if value else f"# {line:<34} # {why}"


def render(legacy: Found, new: Found | None, stack: Stack = Stack()) -> str:
    new_line = (
        f'new = "{new.target}"{" " * max(1, 30 - len(new.target))}# found: {new.why}'
        if new
        else '# new = "yourapp_next.main:app"  # your FastAPI (ASGI) app, once there is one'
    )
    identity = _setting(
        "session_key", stack.session_key, FLASK_LOGIN_KEY, "a key of the Flask session"
    )
    return TEMPLATE.format(
        legacy=f'legacy = "{legacy.target}"{" " * max(1, 27 - len(legacy.target))}'
        f"# found: {legacy.why}",
        new=new_line,
        identity_table="[identity]" if stack.session_key else "# [identity]",
        identity=identity,
        legacy_db=_setting("legacy_db", stack.legacy_db, *LEGACY_DB_EXAMPLE),
        new_db=_setting("new_db", stack.new_db, *NEW_DB_EXAMPLE),
    )


TEMPLATE = """\
# strangler.toml, written by `strangler init`. Commands find it from any subfolder.
# Precedence: this file < environment (STRANGLER_*) < command-line options.
# Every table and key is checked: a misspelt one stops the command with one line.

[apps]
{legacy}
{new}

[router]
mode = "inprocess"                   # or "remote": gunicorn and uvicorn serve, the router proxies
# legacy_url = "http://127.0.0.1:8001"  # remote mode: where gunicorn serves the Flask app
# new_url = "http://127.0.0.1:8002"     # remote mode: where uvicorn serves the ASGI app
# max_body_bytes = 0                 # 413 past this many bytes (0: no limit)

# Who a caller is, for sticky canaries (README "Sticky canaries"); anonymous browsers
# get the router's own cookie. A key of the Flask session is checked with the app's SECRET_KEY.
{identity_table}
{identity}

# Parity cases (`strangler parity run`, `pytest --parity`): a folder of case files and a
# _world.json, and where each app keeps its database, so writes run in savepoints.
[parity]
cases = "parity_cases"
{legacy_db}
{new_db}

[flags]
provider = "embedded"                # flags in PostgreSQL (DATABASE_URL, else an embedded
                                     # one under .strangler/); or "unleash" or "static"

# Move a route: `strangler flags set "GET /some/route" --mode shadow`, then
# `--mode canary --percent 5`, then `--mode new`; `strangler flags kill on` sends every
# route back to legacy at once.
"""


def ignore_state(gitignore: Path) -> bool:
    """Add ``.strangler/`` to ``.gitignore`` (created if missing); False if already there."""
    existing = gitignore.read_text() if gitignore.exists() else ""
    if any(line.strip() in (STATE_LINE, ".strangler") for line in existing.splitlines()):
        return False
    separator = "" if not existing or existing.endswith("\n") else "\n"
    gitignore.write_text(f"{existing}{separator}{STATE_LINE}\n")
    return True


def _say_whether_it_loads(found: Found) -> None:
    from router_proxy.assembly import import_app
    from router_proxy.errors import ConfigError

    try:
        import_app(found.target)
    except ConfigError as exc:
        typer.secho(f"  note: {exc} (fix it, or edit [apps])", fg=typer.colors.YELLOW, err=True)
