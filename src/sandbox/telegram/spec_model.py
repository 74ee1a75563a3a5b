"""The Bot API spec's building blocks: fields, methods, uploaded files, validation errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SpecError(ValueError):
    """A value does not match the Bot API spec; `path` says where (e.g. `prices[0].amount`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    @property
    def description(self) -> str:
        where = f'parameter "{self.path}"' if self.path else "request"
        return f"Bad Request: {where} {self.message}"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart/form-data call: the only thing an InputFile may be."""

    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: tuple[Field, ...]
    returns: tuple[str, ...]


def fields_of(raw: Mapping[str, Any]) -> tuple[Field, ...]:
    return tuple(
        Field(f["name"], tuple(f["types"]), bool(f["required"]), str(f.get("description", "")))
        for f in raw.get("fields", [])
    )


def json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, UploadedFile):
        return "InputFile"
    return "null" if value is None else type(value).__name__
