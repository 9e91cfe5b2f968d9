"""CPU time of the inputs that once stalled or crashed policyqa (issue 8), through the number
parser alone and through a whole `Assistant.ask`. Prints figures; asserts nothing.

    python scripts/bench_inputs.py            # uses POLICYQA_DATA_DIR's index (built if missing)
"""
from __future__ import annotations

import time

from assistant.errors import PolicyQAError
from assistant.numbers import _cn_value, extract_amounts, normalize_numerals

INPUTS = {
    "十 × 2000": "十" * 2000,
    "一 + 亿 × 1200": "一" + "亿" * 1200,
    "百分之 + 十 × 1990": "百分之" + "十" * 1990,
    "digits × 2000": "1" * 2000,
    "1日 × 666": "4月1日" * 666,
    "ﷺ × 50 + question": "\ufdfa" * 50 + "衢州新能源汽车补贴多少",
    "plain question": "衢州买新能源汽车以旧换新能补贴多少？",
}


def cpu(fn) -> float:
    start = time.process_time()
    try:
        fn()
    except PolicyQAError:
        pass
    return time.process_time() - start


def main() -> None:
    from assistant import Assistant

    assistant = Assistant()
    assistant.ensure_index(progress=False)
    assistant.ask("预热")  # load the model, jieba and the keyword index first
    print(f"{'input':24s} {'chars':>6s} {'numbers ms':>11s} {'ask ms':>9s}")
    for name, text in INPUTS.items():
        _cn_value.cache_clear()
        numbers = cpu(lambda: (extract_amounts(text), normalize_numerals(text)))
        ask = cpu(lambda: assistant.ask(text))
        print(f"{name:24s} {len(text):6d} {numbers * 1000:11.1f} {ask * 1000:9.1f}")


if __name__ == "__main__":
    main()
