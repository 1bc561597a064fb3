"""The JSON loopcloser prints reads back as exactly what it was made from."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from loopcloser.render.tables import to_json

VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(value=VALUES)
@example(value={"lone": "\udc80", "big": 2**70, "rtl": "\u202eשלום", "ctl": "\x00\x1b\x7f"})
@example(value={"b": [1.5, -0.0, 1e300], "a": {}})
def test_printed_json_reads_back_equal_indented_or_compact(value: Any) -> None:
    expected = json.loads(json.dumps(value))
    for compact in (False, True):
        text = to_json(value, compact=compact)
        assert json.loads(text) == expected
        assert ("\n" in text) is (not compact and bool(value) and isinstance(value, dict | list))


def test_keys_are_sorted_and_text_stays_readable() -> None:
    assert to_json({"b": "é", "a": [1, {"d": 1, "c": 2}]}, compact=True) == (
        '{"a":[1,{"c":2,"d":1}],"b":"é"}'
    )
    assert to_json({"b": 1, "a": 2}) == '{\n  "a": 2,\n  "b": 1\n}'


def test_text_that_could_turn_a_row_around_is_shown_escaped() -> None:
    from loopcloser.core.text import printable

    assert printable("Maria \u202eissor\u202c ok") == "Maria \\u202eissor\\u202c ok"
    assert printable("a\u2028b\u2066c") == "a\\u2028b\\u2066c"
    assert printable("שלום Rossi") == "שלום Rossi"  # right-to-left text itself is kept
