"""Where digest's own files are: the config (--config, $DIGEST_CONFIG,
./digest.toml, the platform config dir) and the state file, one per config."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config


def default_config_path() -> Path:
    """--config, else $DIGEST_CONFIG, else ./digest.toml, else the platform dir."""
    env = os.environ.get("DIGEST_CONFIG")
    if env:
        return Path(env)
    local = Path("digest.toml")
    if local.exists():
        return local
    import platformdirs

    return Path(platformdirs.user_config_dir("digest")) / "digest.toml"


def state_path(config: Config, flag: str | Path | None = None) -> Path:
    """--state, else $DIGEST_STATE, else config `state`, else the platform
    data dir: state.db for the first config that used it, a file of its own
    for every other config (see default_state)."""
    return state_location(config, flag)[0]


def state_location(config: Config, flag: str | Path | None = None) -> tuple[Path, str | None]:
    """state_path, and a one-time notice when the default state file was
    just given to a config (said once, so nothing moves silently)."""
    if flag:
        return Path(flag), None
    env = os.environ.get("DIGEST_STATE")
    if env:
        return Path(env), None
    if config.state:
        return config.state, None
    return default_state(config.path)


STATE_OWNER = "state.db.config"  # beside state.db: which config it belongs to


def default_state(config_path: Path | None) -> tuple[Path, str | None]:
    """The state file of a config that names none, in the platform data dir.

    Two configs used to share state.db, mixing their sent logs and their
    history. Now state.db belongs to one config, written in STATE_OWNER
    beside it: the one that first used it (an upgrade keeps its history
    where it was), and every other config gets state-NAME-HASH.db."""
    import hashlib

    import platformdirs

    folder = Path(platformdirs.user_data_dir("digest"))
    shared = folder / "state.db"
    if config_path is None:
        return shared, None
    me = str(Path(config_path).expanduser().resolve())
    owner_file = folder / STATE_OWNER
    try:
        owner = owner_file.read_text(encoding="utf-8").strip()
    except OSError:
        owner = None
    if owner is None:
        try:
            from .files import make_private_folders

            make_private_folders(folder)  # 700: the state holds feed tokens and every digest sent
            # "x": the first to claim it has it; 600 like the state file beside it.
            with os.fdopen(os.open(owner_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                           encoding="utf-8") as out:
                out.write(me + "\n")
        except FileExistsError:
            return default_state(config_path)
        except OSError:
            return shared, None
        if shared.exists():
            return shared, (f"state: {shared} (kept from before) is now the state of {me} alone; "
                            "other configs without a `state` key get a state file of their own")
        return shared, None
    if owner == me:
        return shared, None
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(me).stem).strip("-")[:40] or "config"
    digest_of_path = hashlib.sha256(me.encode("utf-8")).hexdigest()[:8]
    own = folder / f"state-{slug}-{digest_of_path}.db"
    if not Path(owner).exists() and not own.exists():
        # The config was moved (to ~/.config/digest/, say): its state goes
        # with it, or every story already mailed would go out again.
        try:
            owner_file.write_text(me + "\n", encoding="utf-8")
        except OSError:
            return own, None
        return shared, (f"state: {shared} belonged to {owner}, which is gone; {me} takes it over "
                        "(its history and what was sent)")
    return own, None


