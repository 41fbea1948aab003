"""Helpers of the web tests: sign in through the login form, read the CSRF token of a page,
post forms, and find label keys that a page would show raw."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# a label key that resolved nowhere would be shown as the key itself
RAW_KEY_RE = re.compile(
    r">[^<]*\b((?:action|page|msg|field|filter|hint|kpi|section|value|entity|nav|language|error)\.[a-z_]+)\b[^<]*<"
)


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


class WebClient:
    """A TestClient signed in through ``/login``; ``post`` adds the session's CSRF token."""

    def __init__(self, app: Any, username: str, password: str = PASSWORD, lang: str | None = None) -> None:
        self.http = TestClient(app, raise_server_exceptions=True, follow_redirects=False)
        r = self.http.get("/login")
        assert r.status_code == 200, r.text
        r = self.http.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(r.text), "next": "/"},
        )
        assert r.status_code == 303, r.text
        self.csrf = csrf_of(self.http.get("/no-such-page").text)  # any page carries the token
        if lang:
            r = self.post("/language", {"lang": lang, "next": "/"})
            assert r.status_code == 303

    def get(self, url: str, **kw: Any):  # noqa: ANN201
        return self.http.get(url, **kw)

    def post(self, url: str, data: Any = None, *, csrf: bool = True, **kw: Any):  # noqa: ANN201
        data = dict(data or {}) if not isinstance(data, list) else list(data)
        if csrf:
            if isinstance(data, list):
                data.append(("csrf_token", self.csrf))
            else:
                data["csrf_token"] = self.csrf
        if isinstance(data, list):  # repeated keys (multi-selects, checkbox groups)
            from urllib.parse import urlencode

            return self.http.post(
                url,
                content=urlencode(data),
                headers={"content-type": "application/x-www-form-urlencoded"},
                **kw,
            )
        return self.http.post(url, data=data, **kw)


def raw_keys(html: str) -> list[str]:
    return RAW_KEY_RE.findall(html)
