"""Fixtures for the MESH compatibility suite (test_mesh_client.py).

Environment:
  MESH_URL     base URL of the server under test, e.g. http://127.0.0.1:8700 (required)
  MESH_SERVER  `spine` (default: our local Spine) or `sandbox` (NHS England's mesh-sandbox);
               only tests of behaviour the sandbox does not implement are skipped on `sandbox`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from mesh_client import MeshClient

PASSWORD = "password"
SHARED_KEY = b"TestKey"
CHUNK_SIZE = 4 * 1024 * 1024
MAILBOXES = ("X26ABC1", "X26ABC2", "X26ABC3")
WORKFLOW = "TEST_WORKFLOW"

MESH_SERVER = os.environ.get("MESH_SERVER", "spine").strip().lower() or "spine"
ON_SANDBOX = MESH_SERVER == "sandbox"


def pytest_configure(config: pytest.Config) -> None:  # noqa: ARG001
    if MESH_SERVER not in ("spine", "sandbox"):
        raise pytest.UsageError(f"MESH_SERVER must be 'spine' or 'sandbox', not {MESH_SERVER!r}")


@pytest.fixture(scope="session")
def mesh_url() -> str:
    url = os.environ.get("MESH_URL", "").strip().rstrip("/")
    if not url:
        pytest.fail("MESH_URL is not set (e.g. MESH_URL=http://127.0.0.1:8700); scripts/mesh-compat.sh sets it")
    return url


@dataclass
class Call:
    """One HTTP exchange made by a MeshClient, as seen by a requests response hook."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    json: object = None


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)

    def hook(self, response: requests.Response, *_args, **kwargs) -> None:
        req = response.request
        parsed = urlparse(req.url)
        body = None
        # Never touch streamed bodies (message downloads); others are read by requests right after the hook.
        if not kwargs.get("stream") and "json" in response.headers.get("Content-Type", ""):
            try:
                body = response.json()
            except ValueError:
                body = None
        self.calls.append(
            Call(
                method=req.method or "",
                path=parsed.path,
                query=parse_qs(parsed.query),
                status=response.status_code,
                request_headers={k.lower(): v for k, v in req.headers.items()},
                response_headers={k.lower(): v for k, v in response.headers.items()},
                json=body,
            )
        )

    def clear(self) -> None:
        self.calls.clear()

    def matching(self, method: str, path_suffix: str = "", contains: str = "") -> list[Call]:
        return [
            c for c in self.calls if c.method == method and c.path.endswith(path_suffix) and contains in c.path
        ]


MeshFactory = Callable[..., MeshClient]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def mesh(mesh_url: str, recorder: Recorder) -> MeshFactory:
    """mesh("X26ABC1") -> a MeshClient (use it in a `with` block) whose HTTP calls go to `recorder`."""

    def make(mailbox: str, password: str = PASSWORD, shared_key: bytes = SHARED_KEY) -> MeshClient:
        client = MeshClient(
            mesh_url,
            mailbox,
            password,
            shared_key=shared_key,
            max_retries=0,
            max_chunk_size=CHUNK_SIZE,
        )
        client._session.hooks["response"].append(recorder.hook)  # noqa: SLF001
        return client

    return make


def drain(client: MeshClient) -> int:
    """Acknowledges every message in the client's inbox (the server is not reset between tests).

    Returns how many were acknowledged; fails if the inbox does not become empty.
    """
    acknowledged = 0
    for _ in range(20):
        ids = list(client.iterate_message_ids())
        if not ids:
            return acknowledged
        for message_id in ids:
            client.acknowledge_message(message_id)
            acknowledged += 1
    pytest.fail(f"inbox of {client._mailbox} did not drain after acknowledging {acknowledged} messages")  # noqa: SLF001


def count_messages(client: MeshClient) -> int:
    """count_messages() without its DeprecationWarning (the /count endpoint is deprecated in MESH)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return client.count_messages()
