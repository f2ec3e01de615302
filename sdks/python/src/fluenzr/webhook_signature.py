"""Checking the signature of a webhook delivery."""

import hashlib
import hmac
import time
from typing import Optional, Union


def compute_webhook_signature(raw_body: Union[bytes, str], timestamp: Union[str, int], secret: str) -> str:
    """The ``X-FluenzR-Signature`` value of a body: ``sha256=<hex HMAC-SHA256(secret,
    "<timestamp>.<raw body>")>``."""
    body = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
    message = str(timestamp).strip().encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook_signature(
    raw_body: Union[bytes, str],
    signature: Optional[str],
    timestamp: Union[str, int, None],
    secret: str,
    *,
    tolerance_seconds: Optional[float] = 300,
    now: Optional[float] = None,
) -> bool:
    """Whether a delivery is authentic and fresh.

    ``raw_body`` is the exact request body (bytes, or text that is encoded as UTF-8),
    ``signature`` the ``X-FluenzR-Signature`` header, ``timestamp`` the
    ``X-FluenzR-Timestamp`` header and ``secret`` the webhook's ``whsec_...`` secret. The
    timestamp must be within ``tolerance_seconds`` of ``now`` (Unix seconds, default the
    current time; None disables the check). The comparison takes constant time; a header
    holding several comma-separated signatures matches when one of them does. Never raises
    for bad input: returns False.
    """
    if not isinstance(signature, str) or not isinstance(secret, str):
        return False
    if not signature or timestamp is None or not secret:
        return False
    stamp_text = str(timestamp).strip()
    try:
        stamp = int(stamp_text)
    except ValueError:
        return False
    if tolerance_seconds is not None:
        current = time.time() if now is None else now
        if abs(current - stamp) > tolerance_seconds:
            return False
    try:
        expected = compute_webhook_signature(raw_body, stamp_text, secret)
    except (TypeError, UnicodeEncodeError):
        return False
    candidates = [part.strip() for part in signature.split(",")]
    matched = False
    for candidate in candidates:
        if hmac.compare_digest(candidate.lower().encode("ascii", "replace"), expected.encode("ascii")):
            matched = True
    return matched
