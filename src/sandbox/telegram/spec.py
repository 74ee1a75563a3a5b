"""The Bot API as data (api.json): recursive validation and coercion of parameters and results."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from starport.sandbox.telegram.spec_model import (
    Field,
    MethodSpec,
    SpecError,
    UploadedFile,
    fields_of,
    json_kind,
)

_DISCRIMINATOR = re.compile(r"(?:must be|always) [“\"]?([a-z_]+)")
_INTEGER = re.compile(r"-?\d+")
_ARRAY = "Array of "


class ApiSpec:
    """Methods and types of one Bot API version; validates values against them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", "?"))
        self.methods: dict[str, MethodSpec] = {
            name.lower(): MethodSpec(name, fields_of(m), tuple(m.get("returns", [])))
            for name, m in data["methods"].items()
        }
        self.type_fields: dict[str, tuple[Field, ...]] = {
            name: fields_of(t) for name, t in data["types"].items()
        }
        self.subtypes: dict[str, tuple[str, ...]] = {
            name: tuple(t["subtypes"]) for name, t in data["types"].items() if t.get("subtypes")
        }

    def method(self, name: str) -> MethodSpec | None:
        """Method names are case-insensitive, as on Telegram."""
        return self.methods.get(name.lower())

    def validate_params(
        self, method: MethodSpec, params: Mapping[str, Any], *, loose: Collection[str] = ()
    ) -> dict[str, Any]:
        """Checked and coerced params; `loose` names params that arrived as form/query strings."""
        out = dict(params)
        for field in method.fields:
            value = params.get(field.name)
            if value is None:
                if field.required:
                    raise SpecError(field.name, "is required")
                out.pop(field.name, None)
                continue
            out[field.name] = self.check(field.types, value, field.name, loose=field.name in loose)
        return out

    def check(
        self, types: Sequence[str], value: Any, path: str = "", *, loose: bool = False
    ) -> Any:
        """`value` coerced to the first of `types` it matches; raises SpecError otherwise."""
        if loose and isinstance(value, str):
            return self._check_string(types, value, path)
        errors: list[tuple[int, SpecError]] = []
        for type_name in types:
            try:
                return self._check_one(type_name, value, path)
            except SpecError as exc:
                errors.append((self._affinity(type_name, value), exc))
        best = max(errors, key=lambda e: e[0])
        if best[0] > 0:
            raise best[1]
        wanted = " or ".join(types)
        raise SpecError(path, f"must be of type {wanted}, got {json_kind(value)}")

    def check_object(self, type_name: str, value: Any) -> None:
        """Raise SpecError unless `value` is a valid `type_name` (used on the sandbox's output)."""
        self._check_one(type_name, value, "")

    def _check_string(self, types: Sequence[str], value: str, path: str) -> Any:
        for type_name in types:
            if type_name == "Integer" and _INTEGER.fullmatch(value.strip()):
                return int(value)
            if type_name == "Float":
                try:
                    return float(value)
                except ValueError:
                    continue
            if type_name == "Boolean" and value.lower() in {"true", "false", "1", "0"}:
                return value.lower() in {"true", "1"}
            if type_name == "String":
                return value
        structured = [t for t in types if t.startswith(_ARRAY) or t in self.type_fields]
        structured = [t for t in structured if t != "InputFile"]
        if structured:
            try:
                decoded = json.loads(value)
            except ValueError:
                raise SpecError(path, "can't be parsed as JSON") from None
            return self.check(structured, decoded, path)
        raise SpecError(path, f"must be of type {' or '.join(types)}, got String {value!r}")

    def _affinity(self, type_name: str, value: Any) -> int:
        """How well the JSON kind of `value` fits `type_name`: picks the most useful error."""
        if type_name.startswith(_ARRAY):
            return 1 if isinstance(value, list) else 0
        if type_name in self.type_fields and isinstance(value, dict):
            fields = self._fields_of(type_name, value)
            return 1 + sum(1 for f in fields if f.required and f.name in value)
        return 0

    def _fields_of(self, type_name: str, value: Mapping[str, Any]) -> tuple[Field, ...]:
        for sub in self.subtypes.get(type_name, ()):
            if self._discriminator_matches(sub, value):
                return self.type_fields[sub]
        return self.type_fields.get(type_name, ())

    def _discriminator_matches(self, sub: str, value: Mapping[str, Any]) -> bool | None:
        fields = self.type_fields.get(sub, ())
        if not fields:
            return None
        match = _DISCRIMINATOR.search(fields[0].description)
        if match is None or fields[0].types != ("String",):
            return None
        return value.get(fields[0].name) == match.group(1)

    def _check_one(self, type_name: str, value: Any, path: str) -> Any:
        if type_name.startswith(_ARRAY):
            if not isinstance(value, list):
                raise SpecError(path, f"must be of type {type_name}, got {json_kind(value)}")
            inner = type_name[len(_ARRAY) :]
            return [self.check([inner], v, f"{path}[{i}]") for i, v in enumerate(value)]
        scalar = _SCALARS.get(type_name)
        if scalar is not None:
            if not scalar(value):
                raise SpecError(path, f"must be of type {type_name}, got {json_kind(value)}")
            return value
        if type_name == "InputFile":
            if not isinstance(value, UploadedFile):
                raise SpecError(path, f"must be an uploaded file, got {json_kind(value)}")
            return value
        if type_name not in self.type_fields:
            raise SpecError(path, f"has unknown type {type_name}")
        if not isinstance(value, dict):
            raise SpecError(path, f"must be of type {type_name}, got {json_kind(value)}")
        if type_name in self.subtypes:
            return self._check_union(type_name, value, path)
        return self._check_fields(self.type_fields[type_name], value, path)

    def _check_union(self, type_name: str, value: dict[str, Any], path: str) -> Any:
        subs = self.subtypes[type_name]
        marked = [s for s in subs if self._discriminator_matches(s, value)]
        unmarked = [s for s in subs if self._discriminator_matches(s, value) is None]
        candidates = marked or unmarked
        if not candidates:
            raise SpecError(path, f"is not any kind of {type_name}")
        return self.check(candidates, value, path)

    def _check_fields(self, fields: Sequence[Field], value: dict[str, Any], path: str) -> Any:
        out = dict(value)  # unknown fields are ignored and kept, as Telegram ignores them
        for field in fields:
            sub_path = f"{path}.{field.name}" if path else field.name
            item = value.get(field.name)
            if item is None:
                if field.required:
                    raise SpecError(sub_path, "is required")
                continue
            out[field.name] = self.check(field.types, item, sub_path)
        return out


_SCALARS = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
}


@cache
def load_spec() -> ApiSpec:
    """The Bot API spec shipped next to this module (a copy of the reference api.json)."""
    text = (resources.files("starport.sandbox.telegram").joinpath("api.json")
            .read_text(encoding="utf-8"))
    return ApiSpec(json.loads(text))
