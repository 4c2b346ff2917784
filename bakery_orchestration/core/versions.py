"""Versions that move when the logic moves.

``logic_version(module)`` is each asset's ``code_version``: a hash of the source of the asset's
own module and of the modules of its feature package that it imports (its domain logic, e.g.
``planning/assets.py`` with ``planning/daily.py``, ``production.py``, ``inventory.py``...). A
change to that logic gives the asset a new code version, so the UI marks its partitions
materialized with the old one as stale; a change elsewhere leaves it alone.

``release()`` is what the audit's ``code_version`` column holds: the package version, plus the
git commit it was built from — ``BAKERY_GIT_COMMIT`` (the image sets it at build time) or, in a
checkout, ``git rev-parse`` — e.g. ``0.1.0+g1a2b3c4d5e6f``.
"""

import ast
import hashlib
import os
import subprocess
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = "bakery_orchestration"
GIT_COMMIT_ENV = "BAKERY_GIT_COMMIT"


def _own_package_imports(path: Path, module: str) -> list[Path]:
    """Source files of the modules of ``module``'s feature package that ``path`` imports."""
    feature = module.split(".")[:2]
    files = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[:2] != feature or len(parts) < 3:
                continue
            candidate = path.parent.joinpath(*parts[2:]).with_suffix(".py")
            if candidate.exists() and candidate != path:
                files.append(candidate)
    return sorted(set(files))


@cache
def logic_version(module: str) -> str:
    """12 hex digits over the source of ``module`` and its own package's imported modules."""
    path = Path(sys.modules[module].__file__)
    digest = hashlib.sha256()
    for file in [path, *_own_package_imports(path, module)]:
        digest.update(file.relative_to(path.parents[1]).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


@cache
def git_commit() -> str | None:
    if os.environ.get(GIT_COMMIT_ENV):
        return os.environ[GIT_COMMIT_ENV][:12]
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


@cache
def release() -> str:
    """The package version, plus ``+g<commit>`` when the commit is known."""
    try:
        base = version(PACKAGE)
    except PackageNotFoundError:
        base = "unknown"
    commit = git_commit()
    return f"{base}+g{commit}" if commit else base
