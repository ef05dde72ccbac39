"""mockserver: a mock of a Finnish ERP's REST API (customers and sales invoices)."""

__version__ = "0.1.0"
