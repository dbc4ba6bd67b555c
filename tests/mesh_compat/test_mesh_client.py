"""MESH compatibility suite: NHS England's official client `mesh-client` (PyPI, pinned 5.0.2), used
unchanged, against a MESH API (`/messageexchange/...`) - our local Spine, or NHS England's reference
`mesh-sandbox` to validate the suite itself.

Scenarios: _ping and handshake for X26ABC1..3; a small message X26ABC1 -> X26ABC2 with subject, local
id, file name and workflow (list, download, mex headers, acknowledge - twice, idempotently - and gone
from the inbox); a 50 MiB message in 13 chunks of 4 MiB (sha256 round trip); gzip-compressed sends,
single and multi-chunk; inbox paging over 600 messages (links.next, the 500 default page, count);
tracking by the sender before and after acknowledgement, and 404 for anyone else; endpoint lookup by
ODS code and workflow; 403 for a wrong password or shared key, and for a replayed auth token; MESH
error code 12 for an unknown recipient.

Run by scripts/mesh-compat.sh. MESH_URL names the server; MESH_SERVER=spine (default) or sandbox.
The server is never reset between tests: each test drains the inboxes it reads first, and tells its
own messages apart by unique local ids.
"""

from __future__ import annotations

import hashlib
import os
import platform
import uuid

import mesh_client
import pytest
import requests
from mesh_client import AuthTokenGenerator, MeshError

from conftest import (
    CHUNK_SIZE,
    MAILBOXES,
    ON_SANDBOX,
    PASSWORD,
    SHARED_KEY,
    WORKFLOW,
    Recorder,
    count_messages,
    drain,
)

MIB = 1024 * 1024


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def read_all(message, block: int = MIB) -> tuple[int, str]:
    """Streams a retrieved message; returns (length, sha256 hex)."""
    digest = hashlib.sha256()
    length = 0
    while True:
        data = message.read(block)
        if not data:
            break
        digest.update(data)
        length += len(data)
    message.close()
    return length, digest.hexdigest()


def send_error_code(error: dict) -> str | None:
    """The MESH error code from a send error body: v2 `detail[0].code`, or v1 `errorCode`."""
    if "errorCode" in error:
        return str(error["errorCode"])
    detail = error.get("detail") or []
    if detail and isinstance(detail[0], dict) and "code" in detail[0]:
        return str(detail[0]["code"])
    return None


def assert_uploaded_in_chunks(recorder: Recorder, sender: str, message_id: str, chunks: int, gzip: bool) -> None:
    """The client's upload: POST .../outbox (chunk 1), then POST .../outbox/{id}/{n} for n = 2..chunks."""
    first = recorder.matching("POST", f"/messageexchange/{sender}/outbox")
    assert len(first) == 1, [c.path for c in recorder.calls]
    assert first[0].status == 202
    assert first[0].request_headers["mex-chunk-range"] == f"1:{chunks}"
    rest = recorder.matching("POST", contains=f"/messageexchange/{sender}/outbox/{message_id}/")
    assert [c.path.rsplit("/", 1)[1] for c in rest] == [str(n) for n in range(2, chunks + 1)]
    assert all(c.status in (200, 202) for c in rest), [c.status for c in rest]
    assert [c.request_headers["mex-chunk-range"] for c in rest] == [f"{n}:{chunks}" for n in range(2, chunks + 1)]
    for call in [*first, *rest]:
        assert (call.request_headers.get("content-encoding") == "gzip") == gzip, call.request_headers


def assert_downloaded_in_chunks(recorder: Recorder, recipient: str, message_id: str, chunks: int) -> None:
    """The client's download: GET .../inbox/{id} (chunk 1, whose mex-Chunk-Range "1:N" gives N), then
    GET .../inbox/{id}/{n} for n = 2..N."""
    base = f"/messageexchange/{recipient}/inbox/{message_id}"
    gets = [c for c in recorder.calls if c.method == "GET" and c.path.startswith(base)]
    assert [c.path for c in gets] == [base] + [f"{base}/{n}" for n in range(2, chunks + 1)]
    assert all(c.status in (200, 206) for c in gets), [c.status for c in gets]
    assert gets[0].response_headers["mex-chunk-range"] == f"1:{chunks}"


# ---- ping and handshake ------------------------------------------------------------------------


def test_ping_returns_json(mesh, recorder):
    with mesh("X26ABC1") as client:
        body = client.ping()
    assert isinstance(body, dict)
    (call,) = recorder.matching("GET", "/messageexchange/_ping")
    assert call.status == 200


@pytest.mark.parametrize("mailbox", MAILBOXES)
def test_handshake(mesh, recorder, mailbox):
    with mesh(mailbox) as client:
        assert client.handshake() == b"hello"
    (call,) = recorder.matching("POST", f"/messageexchange/{mailbox}")
    assert call.status == 200
    assert call.request_headers["mex-clientversion"] == f"mesh_client=={mesh_client.__version__}"
    assert call.request_headers["authorization"].startswith(f"NHSMESH {mailbox}:")


# ---- a small message, end to end ---------------------------------------------------------------


def test_send_list_retrieve_acknowledge(mesh, recorder):
    payload = b"MESH compatibility test: hello X26ABC2\n" + os.urandom(64)
    local_id = unique("small")
    with mesh("X26ABC1") as sender, mesh("X26ABC2") as recipient:
        drain(recipient)
        message_id = sender.send_message(
            "X26ABC2",
            payload,
            workflow_id=WORKFLOW,
            subject="compat subject",
            local_id=local_id,
            filename="compat.txt",
        )
        assert isinstance(message_id, str) and message_id

        assert message_id in recipient.list_messages()

        message = recipient.retrieve_message(message_id)
        assert message.id() == message_id
        assert message.read() == payload
        message.close()
        assert message.mex_header("from") == "X26ABC1"
        assert message.mex_header("to") == "X26ABC2"
        assert message.mex_header("workflowid") == WORKFLOW
        assert message.mex_header("subject") == "compat subject"
        assert message.mex_header("localid") == local_id
        assert message.mex_header("filename") == "compat.txt"
        assert message.mex_header("messageid") == message_id
        # The same headers as the client's typed attributes.
        assert (message.sender, message.recipient, message.workflow_id) == ("X26ABC1", "X26ABC2", WORKFLOW)
        assert (message.subject, message.local_id, message.filename) == ("compat subject", local_id, "compat.txt")
        assert message.message_id == message_id
        assert message.message_type == "DATA"

        recipient.acknowledge_message(message_id)
        assert message_id not in recipient.list_messages()
        recipient.acknowledge_message(message_id)  # idempotent: no exception
        assert message_id not in recipient.list_messages()

    (send,) = recorder.matching("POST", "/messageexchange/X26ABC1/outbox")
    assert send.status == 202
    assert send.request_headers["mex-to"] == "X26ABC2"
    assert send.request_headers["mex-workflowid"] == WORKFLOW
    assert send.request_headers["mex-chunk-range"] == "1:1"
    acks = recorder.matching("PUT", f"/messageexchange/X26ABC2/inbox/{message_id}/status/acknowledged")
    assert [c.status for c in acks] == [200, 200]


# ---- chunked and compressed messages -----------------------------------------------------------


def test_50mib_message_in_13_chunks(mesh, recorder):
    size = 50 * MIB
    chunks = -(-size // CHUNK_SIZE)
    assert chunks == 13
    payload = os.urandom(size)
    expected = hashlib.sha256(payload).hexdigest()
    local_id = unique("large")
    with mesh("X26ABC1") as sender, mesh("X26ABC2") as recipient:
        drain(recipient)
        recorder.clear()
        message_id = sender.send_message(
            "X26ABC2", payload, workflow_id=WORKFLOW, local_id=local_id, filename="large.bin"
        )
        del payload
        assert_uploaded_in_chunks(recorder, "X26ABC1", message_id, chunks, gzip=False)

        assert message_id in recipient.list_messages()
        message = recipient.retrieve_message(message_id)
        assert message.mex_header("localid") == local_id
        assert read_all(message) == (size, expected)
        assert_downloaded_in_chunks(recorder, "X26ABC2", message_id, chunks)

        recipient.acknowledge_message(message_id)
        assert message_id not in recipient.list_messages()


def test_compressed_small_message(mesh, recorder):
    payload = b"compress me " * 1000 + os.urandom(100)
    local_id = unique("gzip")
    with mesh("X26ABC1") as sender, mesh("X26ABC2") as recipient:
        drain(recipient)
        message_id = sender.send_message(
            "X26ABC2", payload, compress=True, workflow_id=WORKFLOW, local_id=local_id
        )
        assert_uploaded_in_chunks(recorder, "X26ABC1", message_id, 1, gzip=True)
        message = recipient.retrieve_message(message_id)
        assert message.mex_header("localid") == local_id
        assert message.read() == payload
        message.close()
        recipient.acknowledge_message(message_id)
        assert message_id not in recipient.list_messages()


@pytest.mark.parametrize("content", ["random", "repetitive"])
def test_compressed_multi_chunk_message(mesh, recorder, content):
    # Split into 4 MiB chunks before compression, each chunk gzipped on its own: 9 MiB -> 3 chunks,
    # whether gzip grows them (random bytes) or shrinks them a lot (a repeated 1 KiB random block).
    size = 9 * MIB
    payload = os.urandom(size) if content == "random" else os.urandom(1024) * (size // 1024)
    expected = hashlib.sha256(payload).hexdigest()
    local_id = unique(f"gzip-{content}")
    with mesh("X26ABC1") as sender, mesh("X26ABC2") as recipient:
        drain(recipient)
        recorder.clear()
        message_id = sender.send_message(
            "X26ABC2", payload, compress=True, workflow_id=WORKFLOW, local_id=local_id
        )
        assert_uploaded_in_chunks(recorder, "X26ABC1", message_id, 3, gzip=True)
        message = recipient.retrieve_message(message_id)
        assert read_all(message) == (size, expected)
        assert_downloaded_in_chunks(recorder, "X26ABC2", message_id, 3)
        recipient.acknowledge_message(message_id)
        assert message_id not in recipient.list_messages()


# ---- inbox paging ------------------------------------------------------------------------------


def test_inbox_paging_600_messages(mesh, recorder):
    total = 600
    run = unique("page")
    with mesh("X26ABC1") as sender, mesh("X26ABC3") as recipient:
        drain(recipient)
        sent = {
            sender.send_message("X26ABC3", f"page {i}".encode(), workflow_id=WORKFLOW, local_id=f"{run}-{i}")
            for i in range(total)
        }
        assert len(sent) == total

        recorder.clear()
        ids = list(recipient.iterate_message_ids())
        assert len(ids) == total and set(ids) == sent
        pages = recorder.matching("GET", "/messageexchange/X26ABC3/inbox")
        assert len(pages) >= 2, "600 messages must not fit in one default page"
        assert all(isinstance(p.json, dict) and len(p.json["messages"]) <= 500 for p in pages)
        assert all("next" in p.json.get("links", {}) for p in pages[:-1])
        assert "next" not in pages[-1].json.get("links", {})

        recorder.clear()
        ids = list(recipient.iterate_message_ids(batch_size=250))
        assert len(ids) == total and set(ids) == sent
        pages = recorder.matching("GET", "/messageexchange/X26ABC3/inbox")
        assert len(pages) >= 3
        assert pages[0].query.get("max_results") == ["250"]
        assert all(len(p.json["messages"]) <= 250 for p in pages)

        first_page = recipient.list_messages()
        assert 0 < len(first_page) <= 500
        assert set(first_page) <= sent

        assert count_messages(recipient) == total

        for message_id in ids:
            recipient.acknowledge_message(message_id)
        assert recipient.list_messages() == []
        assert count_messages(recipient) == 0


# ---- tracking ----------------------------------------------------------------------------------


def test_tracking_by_sender_and_others(mesh):
    local_id = unique("track")
    with mesh("X26ABC1") as sender, mesh("X26ABC2") as recipient, mesh("X26ABC3") as other:
        drain(recipient)
        message_id = sender.send_message(
            "X26ABC2", b"track me", workflow_id=WORKFLOW, local_id=local_id, filename="track.txt"
        )

        tracking = sender.track_message(message_id)
        assert tracking["message_id"] == message_id
        assert tracking["recipient"] == "X26ABC2"
        assert tracking["workflow_id"] == WORKFLOW
        assert tracking["local_id"] == local_id
        assert tracking["filename"] == "track.txt"
        assert tracking["status_success"] is True
        assert str(tracking["status"]).lower() == "accepted"

        for outsider in (recipient, other):
            with pytest.raises(requests.HTTPError) as info:
                outsider.track_message(message_id)
            assert info.value.response.status_code == 404

        recipient.acknowledge_message(message_id)
        tracking = sender.track_message(message_id)
        assert tracking["message_id"] == message_id
        assert str(tracking["status"]).lower() == "acknowledged"

        with pytest.raises(requests.HTTPError) as info:
            sender.track_message(f"{message_id}0")  # no such message
        assert info.value.response.status_code == 404


# ---- endpoint lookup ---------------------------------------------------------------------------


def test_endpoint_lookup(mesh):
    with mesh("X26ABC1") as client:
        result = client.lookup_endpoint("X26", WORKFLOW)
    assert isinstance(result["results"], list) and result["results"]
    for item in result["results"]:
        assert set(item) >= {"mailbox_id", "mailbox_name"}, item
    found = {item["mailbox_id"] for item in result["results"]}
    # X26ABC2 receives TEST_WORKFLOW on both servers. Our Spine registers all three X26 mailboxes for
    # it; the sandbox's canned data registers only X26ABC2 as a receiver (X26ABC1 only sends it).
    assert "X26ABC2" in found
    if not ON_SANDBOX:
        assert {"X26ABC1", "X26ABC2", "X26ABC3"} <= found


# ---- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "shared_key"), [("not-the-password", SHARED_KEY), (PASSWORD, b"NotTheKey")], ids=["password", "key"]
)
def test_wrong_credentials_forbidden(mesh, password, shared_key):
    with mesh("X26ABC1", password=password, shared_key=shared_key) as client:
        with pytest.raises(requests.HTTPError) as info:
            client.handshake()
    assert info.value.response.status_code == 403


@pytest.mark.skipif(ON_SANDBOX, reason="mesh-sandbox does not reject replayed tokens (a reused token gets 200)")
def test_replayed_token_forbidden(mesh_url):
    token = AuthTokenGenerator(SHARED_KEY, "X26ABC1", PASSWORD).generate_token()
    headers = {
        "Authorization": token,
        "Accept": "application/vnd.mesh.v2+json",
        "mex-ClientVersion": f"mesh_client=={mesh_client.__version__}",
        "mex-OSName": platform.system(),
        "mex-OSVersion": platform.release(),
        "mex-OSArchitecture": platform.machine(),
        "mex-JavaVersion": "N/A",
    }
    with requests.Session() as session:
        first = session.post(f"{mesh_url}/messageexchange/X26ABC1", headers=headers, timeout=30)
        second = session.post(f"{mesh_url}/messageexchange/X26ABC1", headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    assert second.status_code == 403, second.text


# ---- send errors -------------------------------------------------------------------------------


def test_unknown_recipient_error_12(mesh, recorder):
    with mesh("X26ABC1") as sender:
        with pytest.raises(MeshError) as info:
            sender.send_message("X26NOTREAL", b"nobody home", workflow_id=WORKFLOW, local_id=unique("nobody"))
    # (message, error body) when the body looks like a MESH send error (417, or `detail` / `errorDescription`).
    assert len(info.value.args) == 2, f"not a MESH send error response: {info.value.args}"
    message, error = info.value.args
    assert isinstance(message, str) and message
    assert isinstance(error, dict)
    assert send_error_code(error) == "12", error
    (call,) = recorder.matching("POST", "/messageexchange/X26ABC1/outbox")
    assert 400 <= call.status < 500
    # Only the first chunk was tried; nothing else was sent.
    assert [c.method for c in recorder.calls] == ["POST"]


def test_client_is_the_pinned_version():
    assert mesh_client.__version__ == "5.0.2"
