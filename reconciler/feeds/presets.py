"""Presets for HR systems, from their public API documentation.

- AFAS Profit GetConnector: ``GET …/ProfitRestServices/connectors/<connector>?skip=&take=``,
  header ``Authorization: AfasToken <base64 token>``, records under ``rows``; a page shorter
  than ``take`` is the last.
- Personio (API v2): OAuth2 client credentials at ``/v2/auth/token``, ``GET /v2/persons`` with
  ``limit`` (at most 50), records under ``_data``, the next page's URL at
  ``_meta.links.next.href``.

A preset fills the defaults; every key can still be set in source.yaml's ``feed:``.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    "afas": {
        "auth": {
            "type": "header",
            "header": "Authorization",
            "prefix": "AfasToken ",
            "token_env": "AFAS_TOKEN",
        },
        "pagination": {
            "type": "skip_take",
            "skip_param": "skip",
            "size_param": "take",
            "size": 1000,
        },
        "records": "rows",
    },
    "personio": {
        "url": "https://api.personio.de/v2/persons",
        "auth": {
            "type": "oauth2",
            "token_url": "https://api.personio.de/v2/auth/token",
            "client_id_env": "PERSONIO_CLIENT_ID",
            "client_secret_env": "PERSONIO_CLIENT_SECRET",
        },
        "pagination": {
            "type": "next_link",
            "size_param": "limit",
            "size": 50,
            "next_path": "_meta.links.next.href",
        },
        "records": "_data",
    },
}
