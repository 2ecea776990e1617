"""Action addresses are checked at translation: absolute http(s) URLs matching the method."""

from __future__ import annotations

import pytest

import echoer_tui.fsl as fsl
from echoer_tui.model.diagnose import check_document
from echoer_tui.model.translate import Catalog, translate
from tests.support.corpus import CORPUS


def _action(addr: str, method: str = "http") -> str:
    return (
        f'action a\n    addr = "{addr}";\n    method = {method};\n    return = (OK);\naction_end\n'
    )


@pytest.mark.parametrize(
    ("addr", "method", "bad", "says"),
    [
        ("ftp://x y", "http", "ftp://x y", "holds a space"),
        ("ftp://host/x", "http", "ftp://host/x", "not an http:// or https:// URL"),
        ("https://host/x", "http", "https://host/x", "method is http"),
        ("http://host/x", "https", "http://host/x", "method is https"),
        ("http://ok:1/x,http:///nohost", "http", "http:///nohost", "names no host"),
        ("http://host:99999/x", "http", "http://host:99999/x", "port"),
        # found by atheris: urlsplit raised ValueError on an unbalanced bracket
        ("http://10.1.140.175:18080]", "http", "http://10.1.140.175:18080]", "not a valid URL"),
    ],
)
def test_a_bad_address_is_an_error_at_the_addr_naming_it(
    addr: str, method: str, bad: str, says: str
) -> None:
    text = _action(addr, method)
    document = fsl.parse(text)
    errors = [
        d for d in check_document(document) if d.severity == "error" and "address" in d.message
    ]
    [error] = errors
    assert f'address "{bad}"' in error.message
    assert says in error.message
    assert text[error.span.start : error.span.end] == f'"{addr}"'


def test_good_addresses_are_stored_as_given() -> None:
    document = fsl.parse(_action("http://127.0.0.1:8080/a, http://[::1]:9/b"))
    result = translate(document.statements, Catalog())
    assert result.ok, result.diagnostics
    assert result.resources[0]["spec"]["endpoints"] == [
        "http://127.0.0.1:8080/a",
        "http://[::1]:9/b",
    ]


@pytest.mark.parametrize("method", ["http", "https"])
def test_an_address_without_scheme_takes_the_method_scheme(method: str) -> None:
    document = fsl.parse(_action("compass.ym/tekton", method))
    [action] = translate(document.statements, Catalog()).statements
    assert action.ok, action.diagnostics
    assert action.resource is not None
    assert action.resource["spec"]["endpoints"] == [f"{method}://compass.ym/tekton"]


def test_the_corpus_scheme_less_addresses_are_normalised() -> None:
    document = fsl.parse((CORPUS / "upper_example.fss").read_text())
    result = translate(document.statements, Catalog())
    by_name = {s.name: s for s in result.statements}
    assert by_name["ci"].resource is not None
    assert by_name["ci"].resource["spec"]["endpoints"] == ["http://compass.ym/tekton"]
    assert by_name["approval"].resource is not None
    assert by_name["approval"].resource["spec"]["endpoints"] == ["http://nz.compass.ym/approval"]
