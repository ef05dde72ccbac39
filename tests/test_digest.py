"""Generation is pinned: seed 1's default dataset, as clients read it, has one known SHA-256.

The determinism tests elsewhere compare two runs of the same code, so reordering a single random
draw, changing a value pool or a float's formatting would change every seed's data and still pass
them. This test compares against a literal instead: any change to the data fails here loudly.
``served_digest`` takes any ``fetch(path) -> body`` so that a test against a real server (an
installed wheel, say) can compare the same figure.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable

from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.settings import Settings

# SHA-256 of seed 1's default dataset (200 customers, 1,000 invoices) as served: every page of
# GET /api/customers, /api/customers/base and /api/invoices (see served_digest).
# Any change to this literal must be a deliberate commit that updates it and says why (which
# draw, pool, field or encoding changed, and that every seed's data changes with it).
DIGEST = "392cbbcfdcf7f0e82437e0dd51d1bd5864c46faa5ef67c9f80a1c7387ebe1e73"

LISTS = ("/api/customers", "/api/customers/base", "/api/invoices")
PAGE_SIZE = 100  # 2 (+1 empty) pages of customers, 10 (+1 empty) of invoices


def served_digest(fetch: Callable[[str], bytes]) -> str:
    """The SHA-256 over every page body of the three lists, read the way clients page them:
    page 1, 2, ... until a page says ``result_count == 0`` (that empty page is hashed too)."""
    h = hashlib.sha256()
    for path in LISTS:
        page = 1
        while True:
            body = fetch(f"{path}?page={page}&page_size={PAGE_SIZE}")
            h.update(f"{path} {page} {len(body)}\n".encode())
            h.update(body)
            if json.loads(body)["result_count"] == 0:
                break
            page += 1
    return h.hexdigest()


def test_seed_1_default_dataset_is_pinned() -> None:
    settings = Settings(seed=1, customers=200, invoices=1000)
    assert (Settings().seed, Settings().customers, Settings().invoices) == (1, 200, 1000)
    with TestClient(create_app(settings)) as client:

        def fetch(path: str) -> bytes:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            return response.content

        assert served_digest(fetch) == DIGEST


# SHA-256 of seed 1's CRM side as served: every page of GET /api/customers/transactions, the
# groups and transaction attributes, and GET /api/contacts/{id} of every customer (see
# crm_digest). Drawn from a stream of their own (mockserver.datagen.transactions), so adding
# them left DIGEST above unchanged; the same rule applies to changing this literal.
CRM_DIGEST = "097933926742a91a833990e188b7184e188f3a4e73450bc802c1601678a59d75"
CRM_LISTS = ("/api/customers/transactions", "/api/customers/groups")
CRM_ONCE = "/api/customers/transactions/attributes"  # no paging: one answer


def crm_digest(fetch: Callable[[str], bytes], customers: int = 200) -> str:
    """The SHA-256 over every page of the CRM lists and every customer's contact list, read
    as ``served_digest`` reads its lists."""
    h = hashlib.sha256()
    body = fetch(CRM_ONCE)
    h.update(f"{CRM_ONCE} {len(body)}\n".encode())
    h.update(body)
    paths = [*CRM_LISTS, *(f"/api/contacts/{i}" for i in range(1, customers + 1))]
    for path in paths:
        page = 1
        while True:
            body = fetch(f"{path}?page={page}&page_size={PAGE_SIZE}")
            h.update(f"{path} {page} {len(body)}\n".encode())
            h.update(body)
            if json.loads(body)["result_count"] == 0:
                break
            page += 1
    return h.hexdigest()


def test_seed_1_crm_data_is_pinned() -> None:
    with TestClient(create_app(Settings(seed=1, customers=200, invoices=1000))) as client:

        def fetch(path: str) -> bytes:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            return response.content

        assert crm_digest(fetch) == CRM_DIGEST


def test_generation_does_not_import_faker() -> None:
    """The value pools ship with the package: generating and reading records never imports
    Faker, so no installed Faker version can change the data."""
    code = (
        "import sys, mockserver.datagen as d; ds = d.generate(3, 30, 120); "
        "[ds.customer(f.id) for f in ds.customers]; [ds.invoice(f.id) for f in ds.invoices]; "
        "assert 'faker' not in sys.modules, 'faker imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (out.returncode, out.stdout.strip()) == (0, "ok"), out.stderr
