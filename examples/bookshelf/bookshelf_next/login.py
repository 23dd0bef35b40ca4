from __future__ import annotations

import hashlib
import os

from fastapi import HTTPException, Request
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import BadSignature, URLSafeTimedSerializer

# Flask's own session format (SecureCookieSessionInterface), so both apps share a login.
_serializer = URLSafeTimedSerializer(
    os.environ.get("SECRET_KEY", "dev"),
    salt="cookie-session",
    serializer=TaggedJSONSerializer(),
    signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
)


def current_user_id(request: Request) -> int:
    cookie = request.cookies.get("session", "")
    try:
        data = _serializer.loads(cookie, max_age=31 * 24 * 3600) if cookie else {}
    except BadSignature:
        data = {}
    if "_user_id" not in data:
        raise HTTPException(status_code=401, detail="login required")
    return int(data["_user_id"])
