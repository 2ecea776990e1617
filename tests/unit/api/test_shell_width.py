"""POST /shell with a width: the reply's tables fit it (a remote shell's terminal)."""

from __future__ import annotations

from tests.unit.api.conftest import Stack


async def test_shell_tables_fit_the_width_sent(seeded: Stack) -> None:
    response = await seeded.client.post("/shell", json={"statement": "list action", "width": 50})
    assert response.status_code == 200, response.text
    lines = response.json()["text"].splitlines()
    assert lines and {len(line) for line in lines} == {50}
    assert any(line.startswith("| ci ") for line in lines)


async def test_a_width_that_is_not_a_number_is_refused(seeded: Stack) -> None:
    response = await seeded.client.post("/shell", json={"statement": "list action", "width": "x"})
    assert response.status_code == 400
    assert response.json()["field"] == "width"
