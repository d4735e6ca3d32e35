"""Evaluation and benchmark scripts for replyassist (run from the repo root).

Importing this package sets the offline environment and imports ``replyassist`` before
anything imports ``kb_ingest`` (importing ``kb_ingest`` first raises a circular
ImportError), so each script imports ``evals`` before its other imports.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import replyassist  # noqa: F401
