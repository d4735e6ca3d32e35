"""Evaluation and benchmark scripts for replyassist (run from the repo root).

Importing this package sets the offline environment (models come from installed
packages) before any Hugging Face import, so each script imports ``evals`` first.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
