"""fluenzr: the Python client of the FluenzR cold-email REST API (``/v1``).

>>> from fluenzr import FluenzrClient
>>> client = FluenzrClient(api_key="flz_sk_...")
>>> contacts = client.contacts.list()
"""

from ._call import Page
from ._version import __version__
from .client import AsyncFluenzrClient, FluenzrClient
from .errors import FluenzrError
from .types import *  # noqa: F401,F403
from .types import __all__ as _types_all
from .webhook_signature import compute_webhook_signature, verify_webhook_signature

__all__ = [
    "AsyncFluenzrClient",
    "FluenzrClient",
    "FluenzrError",
    "Page",
    "__version__",
    "compute_webhook_signature",
    "verify_webhook_signature",
    *_types_all,
]
