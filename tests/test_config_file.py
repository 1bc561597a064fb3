"""The settings file read without tomllib when it is plain: the same settings, or tomllib's."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser.storage.config_file import plain_settings

# Lines that are plain, nearly plain, or TOML of another kind.
NAMES = st.sampled_from(["agent", "time-zone", "work_start", "a1", "", "a.b", '"agent"', "é"])
SPACES = st.sampled_from(["", " ", "  ", "\t", " \t"])
VALUES = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=12).map(lambda text: f'"{text}"'),
    st.sampled_from(['"anna"', '""', "42", "true", "'anna'", '"""anna"""', '"a" # note']),
    st.just('"a\\tb"'),
)
PLAIN = st.builds(
    lambda name, before, after, value: f'{name}{before}={after}"{value}"',
    st.sampled_from(["agent", "timezone", "work-start", "smtp_port"]),
    st.sampled_from(["", " "]),
    st.sampled_from(["", " "]),
    st.text(
        st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"]).filter(
            lambda char: char not in '"\\'
        ),
        max_size=12,
    ),
)
LINES = st.one_of(
    PLAIN,
    st.builds(lambda *parts: "".join(parts), SPACES, NAMES, SPACES, st.just("="), SPACES, VALUES),
    st.sampled_from(["", "# a comment", "  # indented", "[table]", "#\tcomment", "agent"]),
    st.text(max_size=8),
)


@given(st.lists(LINES, max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_a_plain_file_reads_as_tomllib_reads_it(lines: list[str], end: str) -> None:
    text = end.join(lines)
    plain = plain_settings(text)
    if plain is None:
        return  # left to tomllib
    assert plain == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        'agent = "anna"\ntimezone = "Europe/Rome"\ndelivery = "terminal"\n',
        '# mine\n\nagent="Tomasz Pérez"\r\n  work_start =  "08:00"  \n',
        "",
    ],
)
def test_the_files_people_write_are_plain(text: str) -> None:
    assert plain_settings(text) == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        'agent = "anna"\nagent = "luca"\n',  # tomllib refuses the second one
        'agent = "an\\"na"\n',
        'agent = "anna" # me\n',
        "smtp_port = 587\n",
        "[smtp]\n",
        'agent = "an\x7fna"\n',
    ],
)
def test_anything_else_is_left_to_tomllib(text: str) -> None:
    assert plain_settings(text) is None
