"""What digest shows and keeps is no more than it must (issue 23, class 10):
a feed's credentials never shown, the state file its owner's alone, and
a feed's control characters never acted on by the terminal."""

from __future__ import annotations

import json
import stat

from conftest import EXAMPLE_NOW, feeds_config, rss, rss_item


def test_a_feeds_credentials_are_never_shown(invoke, tmp_path, httpserver):
    httpserver.expect_request("/private.xml").respond_with_data("", status=500)
    httpserver.expect_request("/ok.xml").respond_with_data(rss(rss_item("A story", "https://e.example/a")),
                                                           content_type="application/rss+xml")
    secret = f"http://reader:s3cret-pass@127.0.0.1:{httpserver.port}/private.xml?token=t0k3n&page=2"
    config = feeds_config(tmp_path, [httpserver.url_for("/ok.xml"), secret], extra="failing_after = 1")
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json")
    assert built.exit_code == 0, built.stderr
    listed = invoke("--config", str(config), "feeds", "list", "--json")
    email = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--allow-empty", "--no-mark-sent")
    for shown in (built.stdout, built.stderr, listed.stdout, email.stdout, email.stderr):
        assert "s3cret-pass" not in shown and "t0k3n" not in shown
    [error] = json.loads(built.stdout)["errors"]
    assert error["url"] == f"http://127.0.0.1:{httpserver.port}/private.xml?token=***&page=2"
    assert error["feed"] == f"127.0.0.1:{httpserver.port}"


def test_the_state_file_is_its_owners_alone(invoke, example_config, tmp_path):
    state = tmp_path / "new" / "folder" / "state.db"
    assert invoke("--config", str(example_config), "build", "--now", EXAMPLE_NOW, "--format", "json",
                  state=state).exit_code == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


def test_the_default_state_folder_is_its_owners_alone(example_config, tmp_path):
    """No `state` key: the platform's data folder, made by digest, 700 on
    the way down (it was made with the umask's 755 before the store saw it)."""
    import os
    import subprocess
    import sys

    config = example_config.parent / "nostate.toml"
    config.write_text("\n".join(line for line in example_config.read_text().splitlines()
                                if not line.startswith("state =")))
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DIGEST_"))}
    done = subprocess.run([sys.executable, "-m", "digest", "--config", str(config), "history"],
                          env={**env, "HOME": str(home)}, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    folder = home / ".local" / "share" / "digest"
    modes = {path.relative_to(home).as_posix(): stat.S_IMODE(path.stat().st_mode)
             for path in (home / ".local", home / ".local" / "share", folder, *folder.iterdir())}
    assert modes == {".local": 0o700, ".local/share": 0o700, ".local/share/digest": 0o700,
                     ".local/share/digest/state.db": 0o600, ".local/share/digest/state.db.config": 0o600}


def test_a_feeds_control_characters_never_reach_the_terminal_as_such(invoke, tmp_path):
    """A feed whose title carries ESC/OSC sequences (retitle the window,
    clear the screen) fails loudly: what is said shows them, inert."""
    feed = tmp_path / "evil.xml"
    feed.write_bytes(b"<html>not a feed</html>")
    config = feeds_config(tmp_path, [])
    config.write_text(config.read_text() + f'[[feeds]]\nurl = "{feed.as_uri()}"\n'
                      'name = "\\u001b]0;owned\\u0007\\u001b[2JEvil"\n')
    built = invoke("--config", str(config), "build", "--now", EXAMPLE_NOW, "--format", "json")
    assert built.exit_code == 1
    assert "\x1b" not in built.stderr and "\x07" not in built.stderr
    assert "feed \\x1b]0;owned\\x07\\x1b[2JEvil (" in built.stderr  # written out: the user sees it was there
