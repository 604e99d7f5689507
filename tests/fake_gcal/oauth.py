"""The OAuth half of the fake: a token endpoint for refresh tokens, codes and service accounts."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding


class TokenEndpoint:
    """POST /token as Google's: refresh_token, authorization_code (PKCE) and jwt-bearer grants."""

    clients: dict[str, str]
    service_accounts: dict[str, Any]
    refresh_tokens: dict[str, str]
    access_tokens: dict[str, tuple[str, str | None]]
    codes: dict[str, dict]
    revoked: set[str]
    _lock: Any

    def add_user(self, principal: str, client_id: str, client_secret: str) -> str:
        """Register an OAuth client and a user who consented; return a refresh token."""
        self.clients[client_id] = client_secret
        token = "1//" + secrets.token_urlsafe(24)
        self.refresh_tokens[token] = principal
        return token

    def add_service_account(self, email: str, public_key) -> None:
        self.service_accounts[email] = public_key

    def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token and every access token minted from it."""
        with self._lock:
            self.revoked.add(refresh_token)
            for token, (_, parent) in list(self.access_tokens.items()):
                if parent == refresh_token:
                    del self.access_tokens[token]

    def authorize(self, auth_url: str, principal: str) -> str:
        """Play the consent screen: return the redirect URL carrying a fresh code."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_url).query).items()}
        code = "4/" + secrets.token_urlsafe(16)
        self.codes[code] = {**query, "principal": principal}
        return query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})

    # -- token endpoint ----------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return self._jwt_grant(form.get("assertion", ""))
        client_id = form.get("client_id", "")
        if client_id not in self.clients or self.clients[client_id] != form.get("client_secret"):
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            if token in self.revoked or token not in self.refresh_tokens:
                bad = "Token has been expired or revoked."
                return 400, {"error": "invalid_grant", "error_description": bad}
            return 200, self._mint(self.refresh_tokens[token], token, form.get("scope", ""))
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Bad Request"}
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if issued.get("code_challenge", challenge.decode()) != challenge.decode():
                return 400, {"error": "invalid_grant", "error_description": "Missing verifier"}
            refresh = self.add_user(issued["principal"], form["client_id"], form["client_secret"])
            minted = self._mint(issued["principal"], refresh, issued.get("scope", ""))
            return 200, {**minted, "refresh_token": refresh}
        return 400, {"error": "unsupported_grant_type"}

    def _jwt_grant(self, assertion: str) -> tuple[int, dict]:
        def b64(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        try:
            head, payload, signature = assertion.split(".")
            claims = json.loads(b64(payload))
            key = self.service_accounts[claims["iss"]]
            signed = f"{head}.{payload}".encode()
            key.verify(b64(signature), signed, padding.PKCS1v15(), hashes.SHA256())
        except Exception:  # noqa: BLE001 - any bad assertion is the same refusal
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        return 200, self._mint(claims["iss"], None, claims.get("scope", ""))

    def _mint(self, principal: str, parent: str | None, scope: str = "") -> dict:
        token = "ya29." + secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[token] = (principal, parent)
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": scope}
