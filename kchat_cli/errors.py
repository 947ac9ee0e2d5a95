"""Domain exceptions. The CLI maps them to one line on stderr and an exit code (kchat_cli.app)."""

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


class KchatError(Exception):
    """An error a user can act on: `message; hint`."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class NotFound(KchatError):
    """A named thing (room, label, admin…) does not exist."""


class NotAnAdmin(NotFound):
    """The admin a command acts as is not (or no longer) an admin of the channel."""


class MissingBytes(NotFound):
    """An attachment's bytes are not where its record says, or are not what it hashed to."""


class Refused(KchatError):
    """A rule forbids the action."""


class Invalid(KchatError):
    """A value is malformed (a time, an hours range, a file)."""

    exit_code = EXIT_USAGE


class StoreNotReady(KchatError):
    """The store is missing, unreachable or at another schema version."""


class NeedsVerification(KchatError):
    """The acting admin must pass additional verification first (R-AUTH-1)."""


class Busy(KchatError):
    """Another process holds the lock for this job or the scheduler."""


_SECRETS: set[str] = set()
MASK = "***"


def conceal(*secrets: str | None) -> None:
    """Never show these (a database password): `masked` hides them wherever they appear."""
    _SECRETS.update(secret for secret in secrets if secret)


def masked(text: str) -> str:
    """`text` with every concealed secret replaced by ***."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def describe(exc: BaseException) -> str:
    """An unexpected error in one line, without SQL parameters or URLs (they may hold
    personal data or secrets)."""
    original = getattr(exc, "orig", None)
    if original is not None:
        lines = str(original).strip().splitlines()
        return f"database error: {type(original).__name__}: {lines[0] if lines else ''}"
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def debug_traceback(exc: BaseException) -> str:
    """The traceback KCHAT_DEBUG=1 shows: no local variables (they hold database URLs and
    keys), no SQL parameters (they hold what customers wrote), no concealed secret."""
    import re
    import traceback

    text = "".join(traceback.format_exception(exc))
    return masked(re.sub(r"\[parameters: .*?\]\n?", "[parameters left out]\n", text, flags=re.S))
