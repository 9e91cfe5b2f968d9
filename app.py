"""Start policyqa's web server: residents' chat page (/), hotline console (/console/),
HTTP API (/api/v1), OpenAI-compatible API (/v1) and API docs (/docs) — offline, no key needed.

    python app.py                      # http://127.0.0.1:7860
    python app.py --host 0.0.0.0 --port 8080

The same as `policyqa serve` (assistant/web/launch.py), which takes the same options.
"""
from __future__ import annotations

import sys

from assistant.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
