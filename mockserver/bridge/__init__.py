"""The bridge to a real upstream ERP: its client (``upstream``), recording anonymized scenarios
from it (``record``, ``anonymize``), passing unmocked routes through and checking drift.

It knows the real API's login and paging; it knows nothing of the mock's state or HTTP app.
"""
