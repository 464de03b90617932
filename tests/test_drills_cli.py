"""`sparring drills` (issue 15, item 3): import a drill, check, publish, roll back and export it as
files `sparring validate` accepts, over the same service as the web app's Drill studio."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from simulator.cli import app
from simulator.content.loader import builtin_dir

runner = CliRunner()


def test_import_check_publish_rollback_export(tmp_path: Path) -> None:
    env = {"SPARRING_DATA_DIR": str(tmp_path / "data"), "SPARRING_LLM": "template"}

    def sparring(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, result.output
        return result.output

    sparring("user", "add", "mia", "--role", "manager", "--team", "East")
    source = tmp_path / "mine"
    (source / "scenarios").mkdir(parents=True)
    text = (builtin_dir("scenarios") / "retail-negotiation-owner.yaml").read_text(encoding="utf-8")
    (source / "scenarios" / "bakery.yaml").write_text(
        text.replace("id: retail-negotiation-owner", "id: east-bakery"), encoding="utf-8")
    out = sparring("drills", "import", str(source), "--team", "East")
    assert "imported drill" in out and "(east-bakery)" in out and "to fix" not in out
    assert "east-bakery" in sparring("drills", "list")
    assert "has not been checked" in sparring("drills", "publish", "east-bakery", code=2)
    out = sparring("drills", "check", "east-bakery")
    assert "check: passed" in out and out.count(" ok") == 6 and "sample conversation: skipped" in out
    assert "published version 1" in sparring("drills", "publish", "east-bakery")
    assert "nothing changed since version 1" in sparring("drills", "publish", "east-bakery", code=2)
    assert "version 1 is current again, as version 2" in sparring("drills", "rollback", "east-bakery", "1")
    sparring("drills", "export", "east-bakery", str(tmp_path / "out"), "--version", "2")
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.yaml"))
    assert written == ["personas/rosa-owner-copy.yaml", "scenarios/east-bakery.yaml"]
    assert "all references valid" in sparring("validate", str(tmp_path / "out"))
    assert "no drill 'nope'" in sparring("drills", "check", "nope", code=2)
