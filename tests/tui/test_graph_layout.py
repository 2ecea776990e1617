"""The hand layout of step graphs: every step boxed, every edge drawn and labelled."""

from __future__ import annotations

from echoer_tui.model.export import Graph
from echoer_tui.widgets.graph_layout import layout, rasterize

README_STEPS = {
    "A": ("step", "ci", {"SUCCESS": "D", "FAIL": "A"}),
    "D": ("deci", "approval", {"AGREE": "B", "REJECT": "C", "NEXT": "E", "FAIL": "D"}),
    "B": ("step", "deploy_1", {"FAIL": "B", "SUCCESS": "C"}),
    "E": ("step", "approval_2", {"REJECT": "C", "AGREE": "B", "FAIL": "E"}),
    "C": ("step", "notify", {"SUCCESS": "done", "FAIL": "C"}),
}


def flow(steps: dict[str, tuple[str, str, dict[str, str]]]) -> Graph:
    return Graph.from_resource(
        {
            "metadata": {"name": "f", "kind": "flow"},
            "spec": {
                "steps": [
                    {"name": n, "type": t, "action_name": a, "returns": r}
                    for n, (t, a, r) in steps.items()
                ]
            },
        }
    )


def test_readme_flow_is_laid_out_in_bfs_layers() -> None:
    placed = layout(flow(README_STEPS))
    layers = {name: box.layer for name, box in placed.boxes.items()}
    assert layers == {"A": 0, "D": 1, "B": 2, "E": 2, "C": 2, "done": 3}
    assert placed.boxes["D"].kind == "deci"
    boxes = list(placed.boxes.values())
    for i, one in enumerate(boxes):
        for other in boxes[i + 1 :]:
            overlap_x = one.x <= other.right and other.x <= one.right
            overlap_y = one.y <= other.bottom and other.y <= one.bottom
            assert not (overlap_x and overlap_y), (one.name, other.name)


def test_every_edge_self_loop_and_label_is_drawn() -> None:
    placed = layout(flow(README_STEPS))
    text = "\n".join(rasterize(placed).lines())
    assert {(e.source, e.target) for e in placed.edges} == {
        ("A", "D"), ("D", "B"), ("D", "C"), ("D", "E"), ("B", "C"),
        ("E", "C"), ("E", "B"), ("C", "done"),
    }  # fmt: skip
    assert {b.name for b in placed.boxes.values() if b.self_loop} == {"A", "D", "B", "E", "C"}
    for label in ("SUCCESS", "AGREE", "REJECT", "NEXT", "FAIL"):
        assert label in text
    assert text.count("▼") == len(placed.edges)
    assert text.count("◀") == 5  # one per self-loop
    assert "╔" in text and "◆ D" in text  # deci drawn double-lined
    assert "◉ done" in text


def test_back_edge_routes_through_a_lane_right_of_the_boxes() -> None:
    placed = layout(
        flow(
            {
                "build": ("step", "ci", {"OK": "test"}),
                "test": ("step", "ci", {"OK": "done", "FAIL": "build"}),
            }
        )
    )
    back = next(e for e in placed.edges if (e.source, e.target) == ("test", "build"))
    body_right = max(box.right for box in placed.boxes.values())
    assert max(x for x, _ in back.points) > body_right
    assert back.points[-1][1] == placed.boxes["build"].y - 1  # arrow lands on top of build
