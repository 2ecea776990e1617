"""One error family for everything echoer refuses; each message is meant for a person."""

from __future__ import annotations


class EchoerError(Exception):
    """Base of every error echoer reports to a user (never shown as a traceback)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"message": self.message, "error": type(self).__name__}
        if self.field is not None:
            body["field"] = self.field
        return body


class FslSyntaxError(EchoerError):
    """FSL text that does not parse; carries the diagnostics."""

    def __init__(self, message: str, diagnostics: list[object] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class TranslationError(EchoerError):
    """FSL that parses but does not make valid resources (unknown action, bad arg, …)."""

    def __init__(self, message: str, diagnostics: list[object] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


class NotFoundError(EchoerError):
    """A resource, step attempt or command target that does not exist."""

    status = 404


class ConflictError(EchoerError):
    """A name already taken, or a resource still used by others."""

    status = 409


class StaleWriteError(ConflictError):
    """A write based on a version that is no longer the current one."""


class StoreError(EchoerError):
    """The store cannot be opened or written (locked, corrupt, unwritable)."""

    status = 503


class NoEngineError(EchoerError):
    """This server runs no engine, so it cannot take acknowledgements or drive runs."""

    status = 503


class StoreLockedError(StoreError):
    """Another process owns the data directory."""


class CorruptStoreError(StoreError):
    """A store file that cannot be read; names the path and byte offset."""


class AckError(EchoerError):
    """An acknowledgement that names an unknown attempt, an undeclared state or bad fields."""


class InvalidOperationError(ConflictError):
    """A run operation that makes no sense in the run's current state."""


class CommandError(EchoerError):
    """A shell command that is not understood."""
