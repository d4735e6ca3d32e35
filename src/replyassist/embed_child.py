"""The child of :class:`~replyassist.embed_worker.ProcessEmbeddings`:
``python -m replyassist.embed_child SPEC`` loads ``load_embedder(SPEC)``, says ready, then
answers one frame per request on stdout until stdin ends or says stop."""

from __future__ import annotations

import os
import sys

from replyassist.embed_worker import receive, send
from replyassist.embeddings import embed_array, embedder_identity, load_embedder


def main(argv: list[str] | None = None) -> int:
    """Serve embeddings of ``argv[0]``'s embedder on stdin/stdout."""
    args = sys.argv[1:] if argv is None else argv
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt frames
    requests = sys.stdin.buffer
    try:
        embedder = load_embedder(args[0])
        embed_array(embedder, ["."])  # load the model before saying ready
        name, dimension = embedder_identity(embedder)
    except Exception as exc:
        send(replies, ("error", f"{type(exc).__name__}: {exc}"))
        return 1
    send(replies, ("ready", name, dimension))
    while (request := receive(requests)) is not None and request[0] == "embed":
        try:
            send(replies, ("ok", embed_array(embedder, request[1])))
        except Exception as exc:
            send(replies, ("error", f"{type(exc).__name__}: {exc}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
