"""names: the match key (importer), the fold key and closeness (possible duplicates), on
hand-written names. Closeness numbers are difflib's ratio 2*M/T worked out by hand."""

from __future__ import annotations

import pytest

from analytics import names


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Fianna Fáil", "fianna fáil"),
        ("fianna  fail", "fianna fail"),
        ("Fianna-Fáil", "fianna-fáil"),
        ("  Fine\tGael ", "fine gael"),
        ("Fine\u00a0Gael", "fine gael"),  # a no-break space is a space
        ("Fine \t\u00a0 Gael", "fine gael"),  # a run of mixed spaces is one space
        ("ＰＳＤ", "psd"),  # full-width letters (NFKC)
        ("中国 共产党", "中国 共产党"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
    ],
)
def test_match_key(name, key):
    assert names.match_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Fianna Fáil", "fiannafail"),
        ("fianna  fail", "fiannafail"),
        ("Fianna-Fáil", "fiannafail"),
        ("Sinn Féin!", "sinnfein"),
        ("Workers' Front", "workersfront"),
        ("中国 共产党", "中国共产党"),
        ("Fine\u00a0Gael", "finegael"),
    ],
)
def test_fold_key(name, key):
    assert names.fold_key(name) == key


def test_the_match_key_keeps_accents_and_punctuation_apart():
    assert names.match_key("Fianna Fáil") != names.match_key("Fianna Fail")
    assert names.match_key("Fianna-Fáil") != names.match_key("Fianna Fáil")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("Fianna Fáil", "fianna  fail", 1.0),
        ("Fianna Fáil", "Fianna-Fáil", 1.0),
        ("中国共产党", "中国 共产党", 1.0),
        ("PSD", "PSP", 0.0),  # short keys count only when equal
        ("Socialist", "Socialism", 16 / 18),  # 9 letters each, long enough to compare: 8 match
        # 30 and 31 folded letters, all 30 of the shorter matched: 60/61
        ("Partido Socialista Obrero Español", "Partido Socialista Obrero Espanyol", 60 / 61),
        ("Socialist Party", "Socialist Parti", 26 / 28),  # 13 of 14 letters: 0.929
    ],
)
def test_closeness(first, second, expected):
    assert names.closeness(first, second) == pytest.approx(expected)
    assert names.closeness(second, first) == pytest.approx(expected)


def test_close_threshold_separates_one_letter_off_from_other_words():
    assert names.closeness("Socialist Party", "Socialist Parti") >= names.CLOSE_NAMES
    assert names.closeness("Labour Party", "Liberal Party") < names.CLOSE_NAMES
