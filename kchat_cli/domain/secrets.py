"""Personal data at rest: sealed with Fernet before it reaches the store.

The key comes from KCHAT_SECRET_KEY, or from `secret.key` under KCHAT_HOME, created 0600 on
first use. Without the key, sealed data cannot be read by anyone: keep a copy of it.
"""

import json
import os
from pathlib import Path

from kchat_cli.errors import KchatError

KEY_FILE = "secret.key"


class Sealer:
    def __init__(self, home: Path, env_key: str | None = None):
        self.home = home
        self.env_key = env_key
        self._fernet = None

    def _cipher(self):
        if self._fernet is None:
            from cryptography.fernet import Fernet

            try:
                self._fernet = Fernet(self.env_key or _key_file(self.home))
            except ValueError:
                raise KchatError(
                    "the secret key is not a valid Fernet key",
                    "KCHAT_SECRET_KEY must be 32 url-safe base64 bytes",
                ) from None
        return self._fernet

    def seal(self, values: dict) -> str:
        return self._cipher().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()

    def open(self, token: str) -> dict:
        from cryptography.fernet import InvalidToken

        try:
            return json.loads(self._cipher().decrypt(token.encode()))
        except InvalidToken:
            raise KchatError(
                "sealed data cannot be opened with this key",
                "restore the secret key this store was sealed with",
            ) from None


def _key_file(home: Path) -> bytes:
    from cryptography.fernet import Fernet

    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()
