"""Property tests: valid documents survive format→parse; any text parses without raising."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fsl_testing import shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token

import echoer_tui.fsl as fsl
from echoer_tui.fsl import IncrementalParser, Span, format_text, parse
from echoer_tui.fsl.lexer import KEYWORDS, SOFT_KEYWORDS
from echoer_tui.fsl.positions import Positions

RESERVED = set(KEYWORDS) | set(SOFT_KEYWORDS) | {"done"}

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda word: word.lower() not in RESERVED
)
quoted_text = st.text(
    alphabet=st.characters(
        blacklist_characters='"`\n\r', blacklist_categories=("Cs",), max_codepoint=0x2FF
    ),
    max_size=12,
)
names = st.one_of(identifiers, quoted_text.filter(bool).map(lambda text: f'"{text}"'))
layout = st.sampled_from([" ", "  ", "\n", "\n\t", " \n    ", " # note\n "])


def keyword(word: str) -> st.SearchStrategy[str]:
    return st.sampled_from([word, word.upper(), word.capitalize()])


@st.composite
def actions(draw: st.DrawFn) -> str:
    sep = draw(layout)
    name = draw(names)
    addrs = draw(
        st.lists(
            st.from_regex(r"http://[a-z]{1,6}:[0-9]{2,4}/[a-z]{0,5}", fullmatch=True),
            min_size=1,
            max_size=2,
        )
    )
    method = draw(st.sampled_from(["http", "https", "grpc", "HTTP"]))
    params = draw(st.lists(identifiers, max_size=4, unique_by=str.lower))
    types = [draw(st.sampled_from(["str", "int", "STR"])) for _ in params]
    states = draw(st.lists(identifiers, min_size=1, max_size=4, unique=True))
    lines = [f"{draw(keyword('action'))} {name}"]
    lines.append(f'addr = "{",".join(addrs)}";')
    lines.append(f"method = {method};")
    if draw(st.booleans()):
        lines.append('secret = (capem = "QUJD");')
    if params:
        lines.append(
            f"args = ({', '.join(f'{t} {p}' for t, p in zip(types, params, strict=True))});"
        )
    lines.append(f"return = ({' | '.join(states)});")
    if draw(st.booleans()):
        lines.append(f"retry = {draw(st.integers(0, 99))};")
    if draw(st.booleans()):
        lines.append(f"timeout = {draw(st.integers(1, 9999))};")
    lines.append(draw(keyword("action_end")))
    return sep.join(lines)


@st.composite
def flows(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["flow", "flow_run"]))
    steps = draw(st.lists(identifiers, min_size=1, max_size=5, unique=True))
    sep = draw(layout)
    lines = [f"{draw(keyword(kind))} {draw(names)}"]
    for step in steps:
        states = draw(st.lists(identifiers, max_size=3, unique=True))
        edges = []
        for state in states:
            target = draw(st.sampled_from([*steps, "done", None]))
            edges.append(state if target is None else f"{state} -> {target}")
        body = f"{draw(keyword('action'))} = {draw(names)};"
        if kind == "flow_run":
            args = draw(st.lists(identifiers, max_size=3, unique=True))
            values = [
                draw(
                    st.one_of(
                        st.integers(0, 10**9).map(str),
                        quoted_text.map(lambda t: f'"{t}"'),
                        quoted_text.map(lambda t: f"`{t}`"),
                    )
                )
                for _ in args
            ]
            if args:
                body += (
                    f" args = ({', '.join(f'{a}={v}' for a, v in zip(args, values, strict=True))});"
                )
        step_kind = draw(keyword(draw(st.sampled_from(["step", "deci"]))))
        end = draw(st.sampled_from(["};", "}"]))
        lines.append(f"{step_kind} {step} => ({' | '.join(edges)}) {{{sep}{body}{sep}{end}")
    lines.append(draw(keyword(f"{kind}_end")))
    return sep.join(lines)


documents = st.lists(st.one_of(actions(), flows()), min_size=1, max_size=4).flatmap(
    lambda statements: st.sampled_from(["\n", "\n/\n", "\n\n# between\n"]).map(
        lambda separator: separator.join(statements) + "\n"
    )
)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(documents)
def test_valid_documents_survive_format_then_parse(text: str) -> None:
    document = parse(text)
    assert document.ok, [str(d) for d in document.errors]
    formatted = format_text(text)
    again = parse(formatted)
    assert again.ok
    assert shape(again.statements) == shape(document.statements)
    assert format_text(formatted) == formatted


@FAST
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    document = parse(text)
    for diagnostic in document.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert diagnostic.message


fsl_alphabet = st.sampled_from(
    [*'abAB_ 09\n\t;=(){}|->,"`#/', "step ", "flow ", "action ", "flow_end", "args", "=>"]
)


@FAST
@given(st.lists(fsl_alphabet, max_size=80).map("".join))
def test_fsl_like_noise_never_raises_and_spans_lie_inside(text: str) -> None:
    document = parse(text)
    for diagnostic in document.diagnostics:
        assert 0 <= diagnostic.span.start <= diagnostic.span.end <= len(text)
        assert 1 <= diagnostic.span.line <= text.count("\n") + 1


@FAST
@given(documents, st.data())
def test_incremental_parse_equals_full_parse_after_edits(text: str, data: st.DataObject) -> None:
    parser = IncrementalParser()
    assert parser.update(text) == parse(text)
    for _ in range(3):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()) and at < len(text):
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + data.draw(st.sampled_from(list('x;\n ){"#/'))) + text[at:]
        assert parser.update(text) == parse(text)


@FAST
@given(documents)
def test_the_grammar_file_alone_accepts_what_the_parser_accepts(text: str) -> None:
    """fsl.lark is the language's truth: lark's stock parser agrees with our driver."""
    tree = stock_parser().parse(text)
    statements = [child for child in tree.children if not isinstance(child, Token)]
    assert len(statements) == len(parse(text).statements)


@cache
def stock_parser() -> Lark:
    return Lark.open(str(Path(fsl.__file__).parent / "fsl.lark"), parser="lalr", start="document")


@FAST
@given(st.text(alphabet="ab\n\r\t /:{}", max_size=60))
def test_positions_agree_with_span_at(text: str) -> None:
    positions = Positions(text)
    for start in range(len(text) + 1):
        for end in (start, min(len(text), start + 3), len(text)):
            assert positions.span(start, end) == Span.at(text, start, end)
