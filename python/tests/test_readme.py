"""The README's "From Python" snippet runs as written (from a folder holding `examples/`)."""

import os
import re

from conftest import ROOT


def readme_snippet() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_snippet_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_snippet(), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "network `sequence_detection`" in printed
    assert (tmp_path / "run" / "params.npz").is_file()
    assert os.path.exists(tmp_path / "run" / "result.json")


def test_yin_yang_example_runs(tmp_path):
    import subprocess
    import sys

    script = ROOT / "examples" / "python" / "train_yin_yang.py"
    out = tmp_path / "run"
    r = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "epoch 1/1" in r.stdout and (out / "metrics.csv").is_file()
