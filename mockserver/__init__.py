"""mockserver: a mock of a Finnish ERP's REST API (customers and sales invoices)."""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .testing import MockServer

__all__ = ["MockServer", "__version__"]


def __getattr__(name: str) -> Any:
    # ``MockServer`` pulls in uvicorn and the app: import it only when asked for, so that
    # ``import mockserver`` stays light.
    if name == "MockServer":
        from .testing import MockServer

        return MockServer
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
