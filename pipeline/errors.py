"""Coded errors. Each class carries its exit code; messages are one line."""

from __future__ import annotations


class VanbanError(Exception):
    """Base of the project's errors: `code` is a short id, `exit_code` the CLI's."""

    code = "E000"
    exit_code = 1

    def __str__(self) -> str:
        return f"[{self.code}] {super().__str__()}"


class SettingsError(VanbanError):
    code = "E001"
    exit_code = 2


class InputError(VanbanError):
    """The input file cannot be read as a document (corrupt, encrypted, empty, binary...)."""

    code = "E101"
    exit_code = 3


class InputTooLarge(InputError):
    code = "E102"


class EncryptedPdf(InputError):
    code = "E103"


class EmptyInput(InputError):
    code = "E104"


class NotText(InputError):
    """Binary or non-Vietnamese content."""

    code = "E105"


class OcrError(VanbanError):
    code = "E201"
    exit_code = 4


class NoTextFound(OcrError):
    """OCR ran but found no text (blank page, photo)."""

    code = "E202"


class ModelError(VanbanError):
    code = "E301"
    exit_code = 5


class DataError(VanbanError):
    """The --data directory is missing or does not hold the pipeline's tables."""

    code = "E401"
    exit_code = 6


class OutputError(VanbanError):
    code = "E501"
    exit_code = 7
