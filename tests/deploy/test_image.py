"""The image is reproducible: deploy/requirements.lock pins, with sha256 hashes, exactly the
project's run-time dependency closure at the versions .venv (and so CI) runs, plus the locked
build backend; the Dockerfile installs it with --require-hashes, builds the project without
fetching anything, runs as a non-root user and has no ENTRYPOINT; .dockerignore lets in only what
the Dockerfile copies. The slow test installs the lock in a clean venv as the Dockerfile does.
"""

import re
import shutil
import subprocess
import sys
from importlib.metadata import distribution, version
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LOCK = DEPLOY / "requirements.lock"
BUILD_TOOLS = {"setuptools", "wheel"}


def locked() -> dict[str, tuple[str, list[str]]]:
    """Canonical name -> (version, hashes) of each requirement in the lock."""
    text = re.sub(r"\\\n", " ", LOCK.read_text())
    pins = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        requirement, *options = line.split()
        name, pinned = requirement.split("==")
        hashes = [option.removeprefix("--hash=sha256:") for option in options]
        pins[canonicalize_name(name)] = (pinned, hashes)
    return pins


def runtime_closure(root: str) -> set[str]:
    """Canonical names of ``root``'s run-time dependencies, transitively, as installed."""
    seen: set[str] = set()
    pending = [(root, frozenset())]
    while pending:
        name, extras = pending.pop()
        for raw in distribution(name).requires or []:
            req = Requirement(raw)
            wanted = req.marker is None or any(
                req.marker.evaluate({**default_environment(), "extra": extra})
                for extra in (extras or {""})
            )
            if wanted and canonicalize_name(req.name) not in seen:
                seen.add(canonicalize_name(req.name))
                pending.append((req.name, frozenset(req.extras)))
    return seen


def test_every_locked_package_is_pinned_with_hashes():
    pins = locked()
    assert len(pins) > 50
    for name, (pinned, hashes) in pins.items():
        assert re.fullmatch(r"[\w.!+]+", pinned), name
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name


def test_lock_is_the_runtime_closure_at_the_versions_ci_runs():
    pins = locked()
    assert set(pins) - BUILD_TOOLS == runtime_closure("bakery_orchestration")
    assert {name: pins[name][0] for name in set(pins) - BUILD_TOOLS} == {
        name: version(name) for name in set(pins) - BUILD_TOOLS
    }
    assert pins["dagster"][0] == "1.13.27"
    assert not {"pytest", "ruff", "pytest-xdist", "pip-tools"} & set(pins)
    assert set(pins) >= BUILD_TOOLS


def test_dockerfile_installs_only_locked_hashed_files_as_a_non_root_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    instructions = [line.split()[0] for line in dockerfile.splitlines() if line[:1].isalpha()]
    assert "ENTRYPOINT" not in instructions  # run pods pass the whole command as args
    assert "FROM python:3.11-slim" in dockerfile
    assert "pip install --require-hashes --no-deps -r /tmp/requirements.lock" in dockerfile
    assert "pip install --no-deps --no-build-isolation -e ." in dockerfile
    assert "USER 10001" in dockerfile


def build_context() -> set[str]:
    """The paths .dockerignore lets back in after ignoring everything."""
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    return {line[1:].rstrip("/") for line in lines if line.startswith("!")}


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies():
    allowed = build_context()
    copies = re.findall(r"^COPY (.+) \S+$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    copied = {source for sources in copies for source in sources.split()}
    assert copied == allowed
    for source in copied:
        assert (ROOT / source).exists(), source


@pytest.mark.slow
def test_lock_installs_with_require_hashes_in_a_clean_venv(tmp_path):
    """The Dockerfile's two pip steps, on a copy of the build context, in a venv made from nothing
    but the interpreter."""
    context = tmp_path / "context"
    for source in build_context():
        copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
        (context / source).parent.mkdir(parents=True, exist_ok=True)
        copy(ROOT / source, context / source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check"]
    steps = [
        [*pip, "install", "--quiet", "--require-hashes", "--no-deps", "-r", str(LOCK)],
        [*pip, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(context)],
        [*pip, "check"],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, f"{step}:\n{result.stdout}\n{result.stderr}"
    assert "No broken requirements found." in result.stdout
    probe = (
        "import dagster, dagster_k8s, bakery_orchestration; "
        "from importlib.metadata import version; print(version('dagster'))"
    )
    run = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "1.13.27"
