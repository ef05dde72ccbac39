"""The mock inside a test suite: ``MockServer`` runs the real server on 127.0.0.1 in a
background thread (``local``); ``RemoteMockServer`` drives one that already runs, over HTTP
(``remote``); both hand out ``MockTenant`` handles, one isolated tenant each (``tenant``), as
the pytest plugin's ``mock_api`` does. The journal filters they take are written once
(``criteria``); records come back as the server's models (``records``). Each has a ``clock``
(``ClockControl``: freeze, advance, reset the mock's time; ``clock``).
"""

from .clock import ClockControl, ClockDriver
from .criteria import Criteria, JournalQueries, TenantCriteria
from .local import MockServer
from .records import CREDENTIALS, DEFAULT_TENANT, Records
from .remote import MockServerUnreachable, RemoteMockServer
from .tenant import MockTenant, TenantHost

__all__ = [
    "CREDENTIALS",
    "DEFAULT_TENANT",
    "ClockControl",
    "ClockDriver",
    "Criteria",
    "JournalQueries",
    "MockServer",
    "MockServerUnreachable",
    "MockTenant",
    "Records",
    "RemoteMockServer",
    "TenantCriteria",
    "TenantHost",
]
