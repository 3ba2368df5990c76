"""Tolerant exit matching of a plate read against the plates of open sessions (protocols.md §6)."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from parking.plates import PROVINCES, Match, MatchKind, match_exit, parse, virtual_plate

SERIAL_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def read(text: str):
    return parse(text)


def test_exact_match():
    assert match_exit(read("粤B12345"), ["京A00001", "粤B12345"]) == Match(
        MatchKind.EXACT, "粤B12345", ("粤B12345",), "open plate 粤B12345 equals the read"
    )


def test_exact_match_wins_over_tolerant_candidates_listed_before_it():
    match = match_exit(read("粤B12345"), ["粤B1234S", "湘B12345", "粤B12345"])
    assert (match.kind, match.plate) == (MatchKind.EXACT, "粤B12345")


def test_exact_match_in_a_set_or_a_generator():
    assert match_exit(read("粤B12345"), {"粤B12345", "粤B1234S"}).kind is MatchKind.EXACT
    assert match_exit(read("粤B12345"), (t for t in ["粤B12345"])).kind is MatchKind.EXACT


def test_look_alike_at_one_position():
    assert match_exit(read("粤B1234S"), ["京A00001", "粤B12345"]) == Match(
        MatchKind.TOLERANT,
        "粤B12345",
        ("粤B12345",),
        "粤B12345 is the only open plate resembling 粤B1234S: "
        "look-alikes only (position 7 read S open 5)",
    )


def test_look_alikes_at_several_positions():
    match = match_exit(read("粤B80225"), ["粤BBDZ25"])
    assert (match.kind, match.plate) == (MatchKind.TOLERANT, "粤BBDZ25")
    assert match.reason.endswith(
        "look-alikes only (position 3 read 8 open B, position 4 read 0 open D, "
        "position 5 read 2 open Z)"
    )


def test_every_look_alike_class_is_tolerated():
    pairs = [("0", "D"), ("0", "Q"), ("D", "Q"), ("8", "B"), ("2", "Z"), ("5", "S"), ("6", "G"),
             ("4", "A")]
    for a, b in pairs:
        match = match_exit(read(f"粤B{a}{a}{a}{a}{a}"), [f"粤B{b}{b}{b}{b}{b}"])
        assert match.kind is MatchKind.TOLERANT, (a, b)


def test_one_differing_character():
    match = match_exit(read("粤B12345"), ["粤B12375"])
    assert (match.kind, match.plate) == (MatchKind.TOLERANT, "粤B12375")
    assert match.reason.endswith("one character differs (position 6 read 4 open 7)")


def test_only_the_province_differs():
    match = match_exit(read("湘B12345"), ["粤B12345"])
    assert (match.kind, match.plate) == (MatchKind.TOLERANT, "粤B12345")
    assert match.reason.endswith("only the province differs (position 1 read 湘 open 粤)")


def test_two_unrelated_differences_do_not_match():
    assert match_exit(read("粤B12345"), ["粤B12378"]) == Match(
        MatchKind.NONE, None, (), "no open plate equals or resembles 粤B12345"
    )


def test_a_look_alike_plus_another_difference_does_not_match():
    assert match_exit(read("粤B1234S"), ["粤B17345"]).kind is MatchKind.NONE


def test_a_wrong_province_plus_a_look_alike_does_not_match():
    assert match_exit(read("湘B1234S"), ["粤B12345"]).kind is MatchKind.NONE


def test_different_lengths_never_match():
    assert match_exit(read("粤BD12345"), ["粤B12345"]).kind is MatchKind.NONE
    assert match_exit(read("粤B12345"), ["粤BD12345", "粤B123456"]).kind is MatchKind.NONE


def test_two_tolerant_candidates_are_ambiguous():
    assert match_exit(read("粤B12345"), ["粤B1234S", "京A00001", "湘B12345"]) == Match(
        MatchKind.AMBIGUOUS,
        None,
        ("粤B1234S", "湘B12345"),
        "2 open plates resemble 粤B12345, a person must choose: "
        "粤B1234S (look-alikes only (position 7 read 5 open S)); "
        "湘B12345 (only the province differs (position 1 read 粤 open 湘))",
    )


def test_a_plate_listed_twice_is_one_candidate():
    match = match_exit(read("粤B12345"), ["粤B1234S", "粤B1234S"])
    assert (match.kind, match.candidates) == (MatchKind.TOLERANT, ("粤B1234S",))


def test_no_open_plates():
    assert match_exit(read("粤B12345"), []).kind is MatchKind.NONE


def test_virtual_plates_match_only_exactly():
    token_read = virtual_plate("AB12CD")
    assert match_exit(token_read, ["无牌AB12CE", "无牌AB12C0"]).kind is MatchKind.NONE
    assert match_exit(token_read, ["无牌AB12CD"]).kind is MatchKind.EXACT


def test_a_camera_read_never_matches_a_virtual_plate_tolerantly():
    # "无牌D12345" has the length of a new-energy plate but was never read by a camera.
    assert match_exit(read("粤BD12345"), ["无牌D12345", "无牌BD1234"]).kind is MatchKind.NONE


def test_works_through_thousands_of_open_plates():
    open_plates = [f"{PROVINCES[i % len(PROVINCES)]}C{i:05d}" for i in range(5000)]
    assert open_plates[-1] == "黑C04999"
    assert match_exit(read("黑C04999"), open_plates).kind is MatchKind.EXACT
    assert match_exit(read("黑C0499G"), open_plates).plate == "黑C04999"
    assert match_exit(read("粤F12345"), open_plates).kind is MatchKind.NONE


# Properties.

provinces = st.sampled_from(PROVINCES)
letters = st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ")
camera_plates = st.one_of(
    st.tuples(provinces, letters, st.text(SERIAL_CHARS, min_size=5, max_size=5)).map("".join),
    st.tuples(
        provinces, letters, st.sampled_from("DFABCEGHJK"), st.sampled_from(SERIAL_CHARS),
        st.text("0123456789", min_size=4, max_size=4),
    ).map("".join),
    st.tuples(
        provinces, letters, st.text("0123456789", min_size=5, max_size=5),
        st.sampled_from("DFABCEGHJK"),
    ).map("".join),
)


def change_one(text: str, index: int, replacement: str) -> str:
    return text[:index] + replacement + text[index + 1 :]


@given(camera_plates, st.lists(camera_plates, max_size=30), st.integers(min_value=0))
def test_exact_always_wins(text, others, where):
    open_plates = list(others)
    open_plates.insert(where % (len(open_plates) + 1), text)
    match = match_exit(read(text), open_plates)
    assert (match.kind, match.plate, match.candidates) == (MatchKind.EXACT, text, (text,))


@given(camera_plates, camera_plates)
def test_matching_is_symmetric(a, b):
    assert match_exit(read(a), [b]).kind is match_exit(read(b), [a]).kind


@given(camera_plates, st.data())
def test_one_changed_character_is_a_tolerant_match(text, data):
    index = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    replacement = data.draw(st.sampled_from(PROVINCES if index == 0 else SERIAL_CHARS))
    assume(replacement != text[index])
    variant = change_one(text, index, replacement)
    match = match_exit(read(text), [variant])
    assert (match.kind, match.plate) == (MatchKind.TOLERANT, variant)


def shift(char: str, steps: int) -> str:
    """Another serial character than `char` (steps is 1 .. len(SERIAL_CHARS) - 1)."""
    return SERIAL_CHARS[(SERIAL_CHARS.index(char) + steps) % len(SERIAL_CHARS)]


@given(
    camera_plates,
    st.lists(st.integers(min_value=2, max_value=6), min_size=2, max_size=2, unique=True),
    st.integers(min_value=1, max_value=len(SERIAL_CHARS) - 1),
    st.lists(camera_plates, max_size=20),
)
def test_two_tolerant_candidates_are_always_ambiguous(text, positions, steps, others):
    # One changed character at each of two positions: two distinct tolerant candidates.
    variants = {change_one(text, index, shift(text[index], steps)) for index in positions}
    open_plates = [p for p in others if p != text] + sorted(variants)
    match = match_exit(read(text), open_plates)
    assert match.kind is MatchKind.AMBIGUOUS
    assert match.plate is None
    assert variants <= set(match.candidates)


@given(camera_plates, st.lists(camera_plates, max_size=30))
def test_candidates_always_have_the_read_length(text, others):
    match = match_exit(read(text), others)
    assert all(len(candidate) == len(text) for candidate in match.candidates)
