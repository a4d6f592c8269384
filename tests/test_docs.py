"""Every command explains itself: a summary line and an example in --help."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from digest import __version__
from digest.cli import cli


def all_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path, command", list(all_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_with_a_summary_and_an_example(runner, path, command):
    assert command.help, f"digest {' '.join(path)} has no help"
    assert command.get_short_help_str(limit=200).strip()
    result = runner.invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout, f"digest {' '.join(path)} --help shows no example"


def test_the_commands_of_the_design_exist():
    names = {" ".join(path) for path, _ in all_commands()}
    assert {"build", "check", "init", "history", "feeds list", "feeds add", "feeds remove", "feeds import",
            "feeds export"} <= names


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.stdout.strip() == f"digest, version {__version__}"


def test_help_needs_no_heavy_imports():
    code = ("import sys; from digest.cli import cli; cli(['--help'], standalone_mode=False); "
            "print(sorted(m for m in ('httpx', 'feedparser', 'jinja2', 'mjml', 'nh3', 'tomlkit') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().endswith("[]"), done.stdout


def readme_commands() -> list[str]:
    """The shell commands of README.md's first code blocks (install + example, install + tests)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", readme)[:2]


def test_ci_runs_the_readme_test_command_here_and_in_a_bare_clone():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    test_command = readme_commands()[1]
    assert "pytest" in test_command
    assert ci.count(test_command + "\n") == 2, "`.ci/run` must run the README's test command twice"
    assert "git clone" in ci and "test ! -e ../shared" in ci


def test_v_and_q_work_after_the_command_too_as_the_cron_lines_write_them(runner, tmp_path):
    from conftest import EXAMPLES, write_config

    config = write_config(tmp_path, f'[email]\nto = ["me@example.org"]\n[[feeds]]\nurl = "{EXAMPLES}/feeds/kyiv-wire.xml"\n')
    quiet = runner.invoke(cli, ["--state", str(tmp_path / "s.db"), "--config", str(config), "fetch", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    loud = runner.invoke(cli, ["--state", str(tmp_path / "s.db"), "--config", str(config), "fetch"])
    assert loud.exit_code == 0 and loud.stderr.startswith("Fetched 1 feeds")
