"""Errors that the CLI turns into one readable line and a non-zero exit code."""
from __future__ import annotations


class MarsadError(Exception):
    """A problem with the user's input or workspace. The CLI prints it and exits with ``exit_code``."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class UnknownFormatError(MarsadError):
    """The file is not any format marsad can read."""


class WorkspaceError(MarsadError):
    """The workspace is missing, locked, or from an incompatible version."""
