"""One large MESH message through a server with NHS England's mesh-client (bench/mesh.sh).

Usage: mesh_big.py URL MIB. Sends MIB MiB of random bytes from X26ABC1 to X26ABC2 in 4 MiB chunks
(generated chunk by chunk, so the client holds one chunk at a time), downloads it chunk by chunk
comparing SHA-256, acknowledges it, and prints the timings. The server's memory is measured by the
caller.
"""

import hashlib
import os
import sys
import time

from mesh_client import MeshClient

CHUNK = 4 * 1024 * 1024


class RandomStream:
    """A file-like source of `size` random bytes that remembers their SHA-256."""

    def __init__(self, size: int):
        self.left = size
        self._content_length = size  # how mesh-client's SplitStream learns a stream's size
        self.sha = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = os.urandom(n)
        self.left -= n
        self.sha.update(data)
        return data


def main() -> None:
    url, mib = sys.argv[1], int(sys.argv[2])
    size = mib * 1024 * 1024
    client = dict(shared_key=b"TestKey", max_retries=0, max_chunk_size=CHUNK)
    source = RandomStream(size)
    started = time.monotonic()
    with MeshClient(url, "X26ABC1", "password", **client) as sender:
        message_id = sender.send_message("X26ABC2", source, workflow_id="TEST_WORKFLOW")
    sent = time.monotonic()
    got = hashlib.sha256()
    received = 0
    with MeshClient(url, "X26ABC2", "password", **client) as recipient:
        message = recipient.retrieve_message(message_id)
        while True:
            block = message.read(CHUNK)
            if not block:
                break
            got.update(block)
            received += len(block)
        message.acknowledge()
    done = time.monotonic()
    assert received == size and got.hexdigest() == source.sha.hexdigest(), "the message came back different"
    print(f"{mib} MiB message {message_id}: sent in {sent - started:.1f} s, downloaded and acknowledged in {done - sent:.1f} s, bytes identical")


if __name__ == "__main__":
    main()
