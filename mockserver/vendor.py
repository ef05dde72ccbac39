"""The vendor's whole API as its published client documents it, and which part this mock serves.

``CATALOGUE`` is every operation of the vendor's schema: method, path template, tag, summary
and operation name, in the order the vendor's client lists them. The facts are package data
(``data/vendor-operations.json``), built by ``scripts/build-vendor-operations`` from the doc
comments of the npm package ``@rantalainen/lemonsoft-api-client`` 1.0.3, which was generated
from the vendor's own ``/Lemonsoft30/swagger/docs/v1``.

``unmocked`` compares the catalogue with the operations a mock serves, by method and path
*shape*: parameter names do not count (the vendor's ``/api/contacts/{customer_id}`` and
``/api/contacts/{contact_id}`` are one path) and literal words match case-insensitively, as
the real server routes them.

It knows nothing of the route table, the web framework or HTTP: the route table
(``mockserver.routes``) derives its routes for the operations the mock does not serve from
this module, and never the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files

import msgspec

CLIENT_PACKAGE = "@rantalainen/lemonsoft-api-client"
CLIENT_VERSION = "1.0.3"

_PARAM = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


class VendorOperation(msgspec.Struct, frozen=True):
    """One operation of the vendor's API, as its client documents it."""

    method: str
    path: str  # ``/api/customers/{customer_id}``, the vendor's spelling
    tag: str
    summary: str
    name: str  # the vendor's operation name: ``CustomerList``

    @property
    def shape(self) -> str:
        return shape(self.path)


def shape(template: str) -> str:
    """A path template with its parameters unnamed and its literal words lower-cased:
    ``/api/Contacts/{contact_id}`` -> ``/api/contacts/{}``: two templates of one shape
    match the same requests."""
    return "/".join(
        "{}" if _PARAM.fullmatch(part) else part.lower() for part in template.split("/")
    )


def route_template(template: str) -> str:
    """The template as the router matches it: literal words lower-cased (the path
    normalizer lower-cases a request's route words), parameters kept."""
    return "/".join(
        part if _PARAM.fullmatch(part) else part.lower() for part in template.split("/")
    )


def _load() -> tuple[VendorOperation, ...]:
    data = files(__package__).joinpath("data", "vendor-operations.json").read_bytes()
    return msgspec.json.decode(data, type=tuple[VendorOperation, ...])


CATALOGUE: tuple[VendorOperation, ...] = _load()


def unmocked(mocked: Iterable[tuple[str, str]]) -> list[tuple[VendorOperation, str]]:
    """The catalogue's operations that ``mocked`` (``(method, template)`` pairs of the
    operations a mock serves) does not serve, each with the route template that answers it:
    a mocked template of its shape where there is one (so that one route answers every
    method of a path), else the first spelling of its shape in the catalogue, literal words
    lower-cased."""
    served: set[tuple[str, str]] = set()
    spelling: dict[str, str] = {}
    for method, template in mocked:
        served.add((method, shape(template)))
        spelling.setdefault(shape(template), template)
    for op in CATALOGUE:
        spelling.setdefault(op.shape, route_template(op.path))
    return [(op, spelling[op.shape]) for op in CATALOGUE if (op.method, op.shape) not in served]


def covered(mocked: Iterable[tuple[str, str]]) -> list[VendorOperation]:
    """The catalogue's operations that ``mocked`` serves (see ``unmocked``)."""
    served = {(method, shape(template)) for method, template in mocked}
    return [op for op in CATALOGUE if (op.method, op.shape) in served]
