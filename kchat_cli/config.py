"""The config file: settings a user keeps instead of exporting them in every shell.

A TOML file, `$KCHAT_CONFIG`, else `$XDG_CONFIG_HOME/kchat/config.toml` (default
`~/.config/kchat/config.toml`), with top-level keys named like the variables they stand in
for. It comes below options and variables: it is read only when a setting is missing
there, so most commands never open it.
"""

import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from kchat_cli.errors import Invalid

# key in the file -> the variable it stands in for
VARIABLES = {
    "db": "KCHAT_DB",
    "home": "KCHAT_HOME",
    "channel": "KCHAT_CHANNEL",
    "admin": "KCHAT_ADMIN",
    "transport": "KCHAT_TRANSPORT",
    "files": "KCHAT_FILES",
    "listen": "KCHAT_LISTEN",
    "webhook_secret": "KCHAT_WEBHOOK_SECRET",
}
MAX_SIZE = 64 * 1024  # a config file is a few lines: anything larger is a mistake
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # as the store takes a URL, not a path


@dataclass(frozen=True)
class Setting:
    value: str | None
    source: str  # as `config show` says it: option, variable X, file PATH, default


def resolve(key: str, given: str | None = None, *, given_by: str = "option") -> Setting:
    """A setting in kchat's one order: what the command line gave (its option, or the
    variable the option reads, as `given_by` says), else the variable, else the config
    file, else unset: the caller's default. The file is read only when it is needed."""
    if given is not None:
        return Setting(given, given_by)
    variable = VARIABLES[key]
    if os.environ.get(variable):
        return Setting(os.environ[variable], f"variable {variable}")
    in_the_file = from_file(key)
    if in_the_file:
        return Setting(in_the_file, source())
    return Setting(None, "default")


def config_path() -> Path:
    named = os.environ.get("KCHAT_CONFIG")
    if named:
        return Path(named).expanduser()
    folder = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    return Path(folder).expanduser() / "kchat" / "config.toml"


def from_file(key: str) -> str | None:
    """The file's value for `key`, paths in it taken from the file's folder; None when the
    file or the key is missing."""
    return _settings().get(key)


def source() -> str:
    """Where a value from the file came from, as `config show` says it."""
    return f"file {config_path()}"


def _settings() -> dict[str, str]:
    path = config_path()
    try:
        found = path.stat()
    except FileNotFoundError:
        if os.environ.get("KCHAT_CONFIG"):
            raise Invalid(f"no config file at {path}", "check KCHAT_CONFIG") from None
        return {}
    except OSError as exc:
        raise Invalid(f"cannot read the config file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        raise Invalid(f"the config file {path} is not a regular file")
    if found.st_size > MAX_SIZE:
        raise _too_large(path)
    return _read(path, found.st_mtime_ns, found.st_size)


@functools.cache
def _read(path: Path, _mtime_ns: int, _size: int) -> dict[str, str]:
    """The file's settings, read once for each version of it."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SIZE + 1)  # it may have grown since it was looked at
        if len(data) > MAX_SIZE:
            raise _too_large(path)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise Invalid(f"cannot read the config file {path}: {reason}") from None
    return _checked(path, _parsed(path, text))


def _too_large(path: Path) -> Invalid:
    return Invalid(f"the config file {path} is too large", "a config file is at most 64 KiB")


def _parsed(path: Path, text: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(f"the config file {path} is not valid TOML: {exc}") from None


def _checked(path: Path, settings: dict) -> dict[str, str]:
    keys = ", ".join(VARIABLES)
    for key, value in settings.items():
        if key not in VARIABLES:
            raise Invalid(f"unknown key {key!r} in the config file {path}", f"the keys are {keys}")
        if not isinstance(value, str) or not value:
            raise Invalid(f"{key} in the config file {path} must be a non-empty string")
    return {key: _from_folder(path.parent, key, value) for key, value in settings.items()}


def _from_folder(folder: Path, key: str, value: str) -> str:
    """A relative path in the file is relative to the file's folder, not to wherever kchat
    happens to run."""
    prefix = {"home": "", "db": "", "transport": "file:"}.get(key)
    if prefix is None or not value.startswith(prefix):
        return value
    named = value.removeprefix(prefix)
    if key == "db" and _URL.match(named):
        return value
    return prefix + str(folder / Path(named).expanduser())
