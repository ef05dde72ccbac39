"""Records as a test reads them: ``Records`` (one tenant's customers or invoices, in id order),
a customer body validated the way ``POST /api/customers`` validates it, and a record as the
API answered it (JSON) turned back into the model the server stores.

It knows the models (``mockserver.models``) and nothing of how a server is run or reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar, cast

import msgspec

from ..models import BodyError, Customer, Model, decode_body, encode
from ..store import Store
from ..validation import LIST, STRUCT, FieldSpec, field_specs

R = TypeVar("R", bound=Model)

DEFAULT_TENANT = Store.DEFAULT_TENANT
CREDENTIALS = {"UserName": "mockserver", "Password": "mockserver", "ApiKey": "mockserver"}


class Records(Generic[R]):
    """Read access to one tenant's customers or invoices, in id order, as of when it was
    taken: ``len``, iteration, ``id in records``, ``get(id)``, ``find(**fields)``."""

    def __init__(self, ids: Sequence[int], load: Callable[[int], R | None]) -> None:
        self.ids: list[int] = list(ids)
        self._load = load
        self._known = set(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[R]:
        for record_id in self.ids:
            record = self._load(record_id)
            if record is not None:
                yield record

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._known

    def get(self, record_id: int) -> R | None:
        """The record with this ``id``, or None."""
        return self._load(record_id) if record_id in self._known else None

    def find(self, **fields: Any) -> list[R]:
        """The records whose fields equal every given value: ``find(number=1001)``."""
        return [r for r in self if all(getattr(r, k) == v for k, v in fields.items())]

    def __repr__(self) -> str:
        return f"<Records of {len(self.ids)}>"


def customer_body(customer: Customer | Mapping[str, Any]) -> Customer:
    """A customer to create, validated exactly as ``POST /api/customers`` validates it;
    ``ValueError`` names the bad field the way the API's ``ModelState`` does."""
    raw = encode(customer) if isinstance(customer, Customer) else encode(dict(customer))
    try:
        return decode_body(raw, Customer, "customer")
    except BodyError as error:
        raise ValueError(f"invalid customer: {error.model_state}") from None


_PLACEHOLDERS: dict[type, Any] = {
    str: "",
    int: 0,
    float: 0.0,
    bool: False,
    datetime: "1970-01-01T00:00:00Z",
}


def _placeholder(spec: FieldSpec) -> Any:
    """A value ``msgspec.convert`` takes for a required field the record holds as null."""
    if spec.kind == LIST:
        return []
    if spec.scalar is int and spec.low is not None and spec.low > 0:
        return spec.low
    return _PLACEHOLDERS.get(spec.scalar) if spec.scalar is not None else None


def from_wire(item: Any, model: type[R]) -> R:
    """A record as the API answered it. Stored records may hold null where a request body
    must give a value (a generated customer without an e-mail), which ``msgspec.convert``
    refuses: such fields are converted from a placeholder, then set back to None."""
    if not isinstance(item, dict):
        return msgspec.convert(item, model)
    values = dict(item)
    nulls: list[str] = []
    for spec in field_specs(model):
        value = values.get(spec.name)
        if value is None:
            if spec.required:
                values[spec.name] = _placeholder(spec)
                nulls.append(spec.attr)
        elif spec.nested is not None:
            nested = cast("type[Model]", spec.nested)
            if spec.kind == LIST and isinstance(value, list):
                values[spec.name] = [from_wire(element, nested) for element in value]
            elif spec.kind == STRUCT and isinstance(value, dict):
                values[spec.name] = from_wire(value, nested)
    record = msgspec.convert(values, model)
    return msgspec.structs.replace(record, **{name: None for name in nulls}) if nulls else record
