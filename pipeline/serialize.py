"""Documents to JSON and back, so single stages can run as separate steps (DVC)."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import fields, is_dataclass
from enum import Enum
from functools import cache
from typing import Any

from pipeline.models import Document


def to_jsonable(obj: Any) -> Any:
    """Plain JSON data of a dataclass tree (enums as values, tuples as lists)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(hint: Any, data: Any) -> Any:
    """Rebuild a value of type `hint` from `to_jsonable` output."""
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return from_jsonable(args[0], data) if len(args) == 1 else data
    if origin is list:
        (item,) = typing.get_args(hint)
        return [from_jsonable(item, v) for v in data]
    if origin is tuple:
        parts = typing.get_args(hint)
        if len(parts) == 2 and parts[1] is Ellipsis:
            return tuple(from_jsonable(parts[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(parts, data, strict=True))
    if origin is dict:
        _, value_hint = typing.get_args(hint)
        return {k: from_jsonable(value_hint, v) for k, v in data.items()}
    if isinstance(hint, type) and is_dataclass(hint):
        hints = _hints(hint)
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in fields(hint)
            if f.name in data
        }
        return hint(**kwargs)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    return data


def dumps(doc: Document) -> str:
    return json.dumps(to_jsonable(doc), ensure_ascii=False)


def loads(text: str) -> Document:
    doc = from_jsonable(Document, json.loads(text))
    assert isinstance(doc, Document)
    return doc
