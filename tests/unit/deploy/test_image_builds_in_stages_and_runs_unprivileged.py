"""The image is built in a builder stage and runs only its venv, as `flexmit`, unprivileged."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest

from tests.unit.deploy.artefacts import DEPLOY, k8s_object

ROOT = DEPLOY.parent
Instruction = tuple[str, str]  # (KEYWORD, arguments)


def _stages() -> list[list[Instruction]]:
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    stages: list[list[Instruction]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword.upper(), arguments.strip()))
    return stages


def _arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [arguments for word, arguments in stage if word == keyword]


def test_there_is_a_builder_stage_and_a_runtime_stage() -> None:
    builder, runtime = _stages()
    assert _arguments(builder, "FROM")[0].endswith(" AS builder")
    # The venv's interpreter links into the base image: both stages must use the same one.
    assert _arguments(builder, "FROM")[0].split()[0] == _arguments(runtime, "FROM")[0].split()[0]


def test_builder_installs_with_the_pinned_constraints() -> None:
    builder, _ = _stages()
    installs = [run for run in _arguments(builder, "RUN") if "pip install" in run]
    assert installs
    assert all("-c constraints.txt" in run for run in installs)


def test_runtime_copies_only_the_virtualenv_and_installs_nothing() -> None:
    _, runtime = _stages()
    assert _arguments(runtime, "COPY") == ["--from=builder /opt/flexmit /opt/flexmit"]
    for run in _arguments(runtime, "RUN"):
        assert not re.search(r"\b(apt-get|apk|pip|gcc|make)\b", run), run


def test_runtime_runs_flexmit_as_the_uid_the_pods_require() -> None:
    _, runtime = _stages()
    (user,) = _arguments(runtime, "USER")
    uid, _, gid = user.partition(":")
    assert int(uid) > 0
    assert int(gid) > 0
    for name in ("worker-deployment", "webhooks-deployment"):
        pod = k8s_object(name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsUser"] == int(uid)
    (entrypoint,) = _arguments(runtime, "ENTRYPOINT")
    assert json.loads(entrypoint) == ["flexmit"]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path, or one of its parents, decides."""
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        exclude = not pattern.startswith("!")
        glob = pattern.lstrip("!").removeprefix("**/")
        if any(fnmatch.fnmatch(c, glob) or fnmatch.fnmatch(Path(c).name, glob) for c in candidates):
            ignored = exclude
    return ignored


def _dockerignore() -> list[str]:
    lines = (line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _copied_sources() -> list[str]:
    builder, _ = _stages()
    return [source for copy in _arguments(builder, "COPY") for source in copy.split()[:-1]]


@pytest.mark.parametrize("source", _copied_sources())
def test_build_context_keeps_what_the_builder_copies(source: str) -> None:
    assert (ROOT / source).exists()
    assert not _ignored(source, _dockerignore())
    assert not _ignored(
        f"{source}/settings.py" if source == "consumer" else source, _dockerignore()
    )


@pytest.mark.parametrize("path", [".venv/bin/python", ".git/HEAD", "tests/conftest.py", ".cache"])
def test_build_context_leaves_out_everything_else(path: str) -> None:
    assert _ignored(path, _dockerignore())
