# Bodies are only built by model_validate from JSON, never by keyword, so dynamic aliases
# cannot mistype a constructor call:
# mypy: disable-error-code="pydantic-alias"
"""Request bodies bound the way ASP.NET binds them: case-insensitive keys, PascalCase errors.

Keys are folded (lower case, underscores dropped) before validation, so ``AppKey``, ``appKey``
and ``app_key`` all bind to one field, and ``zipcode``/``zipCode`` to another. Validation
errors come back keyed by the .NET property path (``Transaction.ResponseCode``) with the
messages ASP.NET's ``[Required]`` attribute writes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import Request

from consumer.sandbox.problems import FieldErrors, Problem, validation


def fold(name: str) -> str:
    """The case- and underscore-insensitive form of a JSON key."""
    return name.replace("_", "").lower()


class Body(BaseModel):
    """Base of request models: folded aliases, unknown fields ignored, errors by field name."""

    model_config = ConfigDict(alias_generator=fold, loc_by_alias=False, extra="ignore", frozen=True)
    # ASP.NET messages that differ from "The X field is required.", by .NET path.
    required_messages: ClassVar[dict[str, str]] = {}


M = TypeVar("M", bound=Body)

# .NET property names that do not follow from the Python name.
_NAMES = {"is_mit": "IsMIT"}


async def bind(request: Request, model: type[M]) -> M:
    """Parse and validate the request body as ``model``, or raise a 400/415 Problem."""
    return validate(model, await read(request))


async def read(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The body as a folded JSON object; ``optional`` lets an empty body stand for ``{}``."""
    raw = await request.body()
    if not raw.strip():
        if optional:
            return {}
        raise validation({"": ["A non-empty request body is required."]})
    _check_media_type(request.headers.get("content-type", ""))
    return parse(raw)


def parse(raw: bytes) -> dict[str, Any]:
    """JSON object with folded keys; floats kept exact as Decimal (refunds are in dollars)."""
    try:
        document = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise validation({"$": ["The JSON value could not be parsed."]}) from None
    if not isinstance(document, dict):
        raise validation({"$": ["The JSON value could not be converted to an object."]})
    folded: dict[str, Any] = _fold_keys(document)
    return folded


def validate(model: type[M], document: dict[str, Any]) -> M:
    """``model`` from a folded document, or a 400 Problem with .NET field paths."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise validation(field_errors(model, exc)) from None


def field_errors(model: type[Body], exc: ValidationError) -> FieldErrors:
    """ModelState-style errors: {"Transaction.Amount": ["The field Amount is invalid."]}."""
    errors: FieldErrors = {}
    for error in exc.errors(include_url=False):
        path = dotnet_path(error["loc"])
        errors.setdefault(path, []).append(_message(model, path, error))
    return errors


def dotnet_path(loc: tuple[int | str, ...]) -> str:
    """("transaction", "response_code") -> "Transaction.ResponseCode"; list indexes as [i]."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + pascal(part)
    return path


def pascal(name: str) -> str:
    """The .NET property name for a Python field name."""
    return _NAMES.get(name) or "".join(word[:1].upper() + word[1:] for word in name.split("_"))


def _message(model: type[Body], path: str, error: ErrorDetails) -> str:
    leaf = path.rsplit(".", 1)[-1]
    if error["type"] in ("missing", "string_too_short") or (
        error["type"] in ("string_type", "model_type", "bool_type", "int_type")
        and error.get("input", ...) is None  # an explicit null fails [Required] too
    ):
        return model.required_messages.get(path, f"The {leaf} field is required.")
    if error["type"].startswith("sandbox_"):
        return error["msg"]
    return f"The field {leaf} is invalid."


def _check_media_type(content_type: str) -> None:
    media = content_type.split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    if not (kind == "application" and (subtype == "json" or subtype.endswith("+json"))):
        raise Problem(415)


def _fold_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {fold(str(key)): _fold_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_fold_keys(item) for item in value]
    return value
