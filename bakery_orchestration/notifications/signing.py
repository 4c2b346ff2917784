"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver verifies.

Each POST carries `webhook-id` (unique per message, the same on retries, so a receiver can drop
duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256
of "{id}.{timestamp}.{body}">`, keyed with the base64-decoded part of the tenant's secret
`whsec_<base64>`. docs/RELIABILITY.md shows how a receiver checks it.
"""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh random signing secret, `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside `secret`; ValueError if it is not a `whsec_<base64>` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"a webhook secret starts with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is base64 after its prefix") from exc
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def signature_headers(
    secret: str, body: bytes, message_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signed = f"{message_id}.{stamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
