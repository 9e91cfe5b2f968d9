#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs them.
#   - Debian's chromium and CJK fonts for the browser tests, redis-server for the shared rate limits (apt, when missing)
#   - a virtualenv in .venv with policyqa and its test extras (pinned in pyproject.toml)
# Extra arguments go to pytest:  bash scripts/test.sh -k parsing
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/opentype/noto ] || ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk redis-server >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'

export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
.venv/bin/python -m pytest "$@"

# The eval suites in extractive mode, each held to its own thresholds (evals/<set>.thresholds.json;
# cases.jsonl: evals/thresholds.json): the seed questions and the conversations on the seed notices,
# then the notices of other shapes on tests/fixtures/shapes, and the blind sets' on tests/fixtures/holdout*.
.venv/bin/policyqa eval --mode extractive --set evals/cases.jsonl --set evals/conversations.jsonl --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/shapes.jsonl --corpus tests/fixtures/shapes --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/holdout.jsonl --corpus tests/fixtures/holdout --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/holdout2.jsonl --corpus tests/fixtures/holdout2 --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/holdout3.jsonl --corpus tests/fixtures/holdout3 --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/holdout4.jsonl --corpus tests/fixtures/holdout4 --check --report reports/eval
.venv/bin/policyqa eval --mode extractive --set evals/holdout5.jsonl --corpus tests/fixtures/holdout5 --check --report reports/eval
