"""FSL fuzzing: parser, translator and formatter on fragment-built and mutated text.

tests/unit/fsl/test_fsl_properties.py fuzzes the parser alone (60 examples each);
this goes through the translator too, mutates the real corpus, and checks that a
diagnostic's line and column agree with its offsets. bench/bench_reliability.py
runs the same check under atheris when it is installed.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.fsl_fuzz import FRAGMENTS, SEEDS, exercise

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

fragment_text = st.lists(st.sampled_from(FRAGMENTS), max_size=120).map("".join)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> str:
    """A corpus file with a few characters or fragments inserted, deleted or replaced."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        end = min(len(text), at + draw(st.integers(0, 12)))
        insert = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)))
        text = text[:at] + insert + text[end:]
    return text


@FUZZ
@given(fragment_text)
def test_fragment_text_never_raises(text: str) -> None:
    exercise(text)


@FUZZ
@given(mutated_corpus())
def test_mutated_corpus_never_raises(text: str) -> None:
    exercise(text)


@FUZZ
@given(st.text(max_size=400))
def test_any_unicode_never_raises(text: str) -> None:
    exercise(text)


def test_the_corpus_itself_passes_the_check() -> None:
    assert len(SEEDS) >= 5
    for text in SEEDS:
        exercise(text)
