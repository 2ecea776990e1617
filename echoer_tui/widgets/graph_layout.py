"""Where the boxes and arrows of a step graph go on a character grid.

The layout is computed once per flow definition (it depends only on the steps and
their edges) and then restyled cheaply as a run moves; that is why it is plain data
with no colours and no Textual in it.

Why a hand layout: netext's Sugiyama layout put the first step beside its successor,
dropped self-loops and laid labels over each other on the README example; grandalf
gives coordinates only, so edges would still need routing here. Step graphs are small
and mostly forward, so layers by BFS from the first step, forward edges routed through
the channel between two layers, and every other edge (back, skip, same-layer) routed
through its own lane on the right read well and never overlap ambiguously.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from echoer_tui.model.export import ANY_STATE, Graph
from echoer_tui.model.resources import DONE

BOX_LINES = 3
"""Rows inside a box: name, action, live status."""
BOX_HEIGHT = BOX_LINES + 2
MIN_INNER = 12
BOX_GAP = 3
Point = tuple[int, int]


@dataclass(frozen=True, slots=True)
class NodeBox:
    """One step (or the terminal `done`) at its place: x, y is the top-left border corner."""

    name: str
    kind: str
    """`step`, `deci` or `end` (the terminal node)."""
    action: str
    layer: int
    x: int
    y: int
    width: int
    height: int = BOX_HEIGHT
    self_loop: str = ""
    """Label of the edge from this step to itself ("" when there is none)."""

    @property
    def right(self) -> int:
        return self.x + self.width - 1

    @property
    def bottom(self) -> int:
        return self.y + self.height - 1

    def contains(self, x: int, y: int) -> bool:
        return self.x <= x <= self.right and self.y <= y <= self.bottom


@dataclass(frozen=True, slots=True)
class EdgePath:
    """An edge drawn as an orthogonal polyline; the last point carries the arrow tip."""

    source: str
    target: str
    label: str
    points: tuple[Point, ...]
    label_at: Point
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GraphLayout:
    """Everything the graph widget draws, in grid cells."""

    width: int
    height: int
    boxes: dict[str, NodeBox]
    edges: tuple[EdgePath, ...]
    order: tuple[str, ...]
    """Step names in declaration order (keyboard navigation follows it)."""

    def box_at(self, x: int, y: int) -> NodeBox | None:
        for box in self.boxes.values():
            if box.contains(x, y):
                return box
        return None


def _grouped_edges(graph: Graph) -> dict[tuple[str, str], list[str]]:
    """(source, target) -> states: several states to one target share one arrow."""
    grouped: dict[tuple[str, str], list[str]] = {}
    names = {step.name for step in graph.steps}
    for source, target, state in graph.edges():
        if target != DONE and target not in names:
            continue  # a dangling target is a definition error shown elsewhere
        grouped.setdefault((source, target), []).append(state)
    return grouped


def _layers(graph: Graph, grouped: dict[tuple[str, str], list[str]]) -> dict[str, int]:
    successors: dict[str, list[str]] = {step.name: [] for step in graph.steps}
    for source, target in grouped:
        if target != DONE and source != target:
            successors[source].append(target)
    layer: dict[str, int] = {}
    for step in graph.steps:  # the first step, then any step BFS did not reach
        if step.name in layer:
            continue
        start = max(layer.values(), default=-1) + 1
        layer[step.name] = start
        queue = deque([step.name])
        while queue:
            name = queue.popleft()
            for nxt in successors[name]:
                if nxt not in layer:
                    layer[nxt] = layer[name] + 1
                    queue.append(nxt)
    if any(target == DONE for _, target in grouped):
        layer[DONE] = max(layer.values(), default=-1) + 1
    return layer


def layout(graph: Graph) -> GraphLayout:
    """Place the boxes of `graph` in layers and route every edge."""
    grouped = _grouped_edges(graph)
    layer_of = _layers(graph, grouped)
    kinds = {step.name: (step.type, step.action) for step in graph.steps}
    kinds[DONE] = ("end", "")
    layer_count = max(layer_of.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(layer_count)]
    for name in [s.name for s in graph.steps] + [DONE]:
        if name in layer_of:
            layers[layer_of[name]].append(name)

    out_edges: dict[str, list[tuple[str, str]]] = {name: [] for name in layer_of}
    in_edges: dict[str, list[str]] = {name: [] for name in layer_of}
    self_loops: dict[str, str] = {}
    for (source, target), states in grouped.items():
        label = "|".join(states)
        if source == target:
            self_loops[source] = label
        else:
            out_edges[source].append((target, label))
            in_edges[target].append(source)

    # Widths: the name, the action and every outgoing label must fit under the box.
    widths: dict[str, int] = {}
    for name in layer_of:
        kind, action = kinds[name]
        ports = sum(len(label) + 2 for _, label in out_edges[name]) + 1
        inner = max(MIN_INNER if kind != "end" else 6, len(name) + 4, len(action) + 2, ports)
        widths[name] = inner + 2

    def footprint(name: str) -> int:
        loop = self_loops.get(name, "")
        return widths[name] + (len(loop) + 5 if loop else 0)

    row_widths = [sum(footprint(n) for n in row) + BOX_GAP * (len(row) - 1) for row in layers]
    body_width = max(row_widths, default=0)

    # Source ports along each box's bottom, one per outgoing edge.
    x_of: dict[str, int] = {}
    for row, row_width in zip(layers, row_widths, strict=True):
        x = (body_width - row_width) // 2
        for name in row:
            x_of[name] = x
            x += footprint(name) + BOX_GAP
    source_port: dict[tuple[str, str], int] = {}
    for name, edges in out_edges.items():
        px = x_of[name] + 2
        for target, label in edges:
            source_port[(name, target)] = px
            px += len(label) + 2

    # Target ports along each box's top; a straight drop when the source port allows.
    target_port: dict[tuple[str, str], int] = {}
    for name, sources in in_edges.items():
        lo, hi = x_of[name] + 1, x_of[name] + widths[name] - 2
        above = layer_of[name] - 1
        blocked = {px for (s, _t), px in source_port.items() if layer_of[s] == above}
        used: set[int] = set()
        for source in sources:
            px = source_port[(source, name)]
            if layer_of[source] == above and lo <= px <= hi and px not in used:
                target_port[(source, name)] = px
                used.add(px)
        # The rest left to right in the order their lines arrive, two cells apart.
        rest = sorted(
            (s for s in sources if (s, name) not in target_port),
            key=lambda s: (layer_of[s] != above, source_port[(s, name)]),
        )
        for source in rest:
            free = [
                x
                for x in range(lo + 1, hi + 1)
                if x not in blocked and not used & {x - 1, x, x + 1}
            ]
            target_port[(source, name)] = free[0] if free else lo
            used.add(target_port[(source, name)])

    # Which edges need a horizontal track in which channel (channel c is above layer c).
    tracks: list[list[tuple[str, str, str]]] = [[] for _ in range(layer_count + 1)]
    lane_edges: list[tuple[str, str]] = []
    for source, target in source_port:
        ls, lt = layer_of[source], layer_of[target]
        if lt == ls + 1:
            if source_port[(source, target)] != target_port[(source, target)]:
                tracks[lt].append((source, target, "direct"))
        else:
            lane_edges.append((source, target))
            tracks[ls + 1].append((source, target, "out"))
            tracks[lt].append((source, target, "in"))

    # Vertical positions: channel rows, then the layer's boxes.
    track_row: dict[tuple[str, str, str], int] = {}
    y = 0
    y_of_layer: list[int] = []
    for index in range(layer_count):
        channel = tracks[index]
        has_label_row = index > 0
        top = y
        if has_label_row:
            y += 1
        for offset, key in enumerate(channel):
            track_row[key] = y + offset
        y += len(channel)
        if index > 0 or channel:
            y += 1  # the row that carries the arrow tips
        if index > 0 and y - top < 2:
            y = top + 2
        y_of_layer.append(y)
        y += BOX_HEIGHT
    tail = tracks[layer_count] if layer_count else []
    for offset, key in enumerate(tail):
        track_row[key] = y + 1 + offset
    height = y + (len(tail) + 2 if tail else 0)

    lane_x = {edge: body_width + 2 + 2 * i for i, edge in enumerate(lane_edges)}
    width = body_width + 2 + 2 * len(lane_edges)

    boxes = {
        name: NodeBox(
            name=name,
            kind=kinds[name][0],
            action=kinds[name][1],
            layer=layer_of[name],
            x=x_of[name],
            y=y_of_layer[layer_of[name]],
            width=widths[name],
            self_loop=self_loops.get(name, ""),
        )
        for name in layer_of
    }

    paths: list[EdgePath] = []
    for (source, target), states in grouped.items():
        if source == target:
            continue
        sbox, tbox = boxes[source], boxes[target]
        px, tx = source_port[(source, target)], target_port[(source, target)]
        start = (px, sbox.bottom + 1)
        tip = (tx, tbox.y - 1)
        if (source, target) in lane_x:
            lx = lane_x[(source, target)]
            out_row = track_row[(source, target, "out")]
            in_row = track_row[(source, target, "in")]
            points: tuple[Point, ...] = (
                start,
                (px, out_row),
                (lx, out_row),
                (lx, in_row),
                (tx, in_row),
                tip,
            )
        elif px == tx:
            points = (start, tip)
        else:
            track = track_row[(source, target, "direct")]
            points = (start, (px, track), (tx, track), tip)
        label = "|".join(states)
        paths.append(
            EdgePath(source, target, label, points, (px + 1, sbox.bottom + 1), tuple(states))
        )

    return GraphLayout(
        width=width,
        height=height,
        boxes=boxes,
        edges=tuple(paths),
        order=tuple(step.name for step in graph.steps),
    )


__all__ = ["ANY_STATE", "EdgePath", "GraphLayout", "NodeBox", "layout"]


# Drawing: characters and, per cell, which part of the graph owns it (for colouring).
UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
_JOINTS = {
    UP | DOWN: "│",
    LEFT | RIGHT: "─",
    DOWN | RIGHT: "╭",
    DOWN | LEFT: "╮",
    UP | RIGHT: "╰",
    UP | LEFT: "╯",
    UP | DOWN | RIGHT: "├",
    UP | DOWN | LEFT: "┤",
    LEFT | RIGHT | DOWN: "┬",
    LEFT | RIGHT | UP: "┴",
    UP | DOWN | LEFT | RIGHT: "┼",
    UP: "│",
    DOWN: "│",
    LEFT: "─",
    RIGHT: "─",
}
_BORDERS = {
    "step": "╭╮╰╯─│",
    "deci": "╔╗╚╝═║",
    "end": "╭╮╰╯─│",
}


@dataclass(slots=True)
class Canvas:
    """A grid of characters and, per cell, the owner key used to colour it.

    Owner keys: `box:STEP`, `title:STEP`, `status:STEP` (the row the widget fills
    with live text), `edge:SOURCE>TARGET`, `label:SOURCE>TARGET`, `loop:STEP`.
    """

    width: int
    height: int
    chars: list[list[str]]
    owners: list[list[str]]

    @classmethod
    def blank(cls, width: int, height: int) -> Canvas:
        return cls(
            width,
            height,
            [[" "] * width for _ in range(height)],
            [[""] * width for _ in range(height)],
        )

    def put(self, x: int, y: int, text: str, owner: str) -> None:
        for i, char in enumerate(text):
            if 0 <= y < self.height and 0 <= x + i < self.width:
                self.chars[y][x + i] = char
                self.owners[y][x + i] = owner

    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self.chars]


def rasterize(graph_layout: GraphLayout) -> Canvas:
    """Draw boxes, edges, labels and self-loops; status rows are left blank."""
    canvas = Canvas.blank(graph_layout.width, graph_layout.height)
    joints: dict[Point, int] = {}
    owner_of: dict[Point, str] = {}
    for edge in graph_layout.edges:
        key = f"edge:{edge.source}>{edge.target}"
        for (x1, y1), (x2, y2) in zip(edge.points, edge.points[1:], strict=False):
            if x1 == x2:
                step = 1 if y2 > y1 else -1
                for y in range(y1, y2, step):
                    joints[(x1, y)] = joints.get((x1, y), 0) | (DOWN if step > 0 else UP)
                    joints[(x1, y + step)] = joints.get((x1, y + step), 0) | (
                        UP if step > 0 else DOWN
                    )
                    owner_of[(x1, y)] = owner_of[(x1, y + step)] = key
            else:
                step = 1 if x2 > x1 else -1
                for x in range(x1, x2, step):
                    joints[(x, y1)] = joints.get((x, y1), 0) | (RIGHT if step > 0 else LEFT)
                    joints[(x + step, y1)] = joints.get((x + step, y1), 0) | (
                        LEFT if step > 0 else RIGHT
                    )
                    owner_of[(x, y1)] = owner_of[(x + step, y1)] = key
        start = edge.points[0]
        joints[start] = joints.get(start, 0) | UP
    for (x, y), bits in joints.items():
        canvas.put(x, y, _JOINTS.get(bits, "┼"), owner_of.get((x, y), ""))
    for edge in graph_layout.edges:
        tip = edge.points[-1]
        canvas.put(tip[0], tip[1], "▼", f"edge:{edge.source}>{edge.target}")
        lx, ly = edge.label_at
        canvas.put(lx, ly, edge.label, f"label:{edge.source}>{edge.target}")

    for box in graph_layout.boxes.values():
        tl, tr, bl, br, horizontal, vertical = tuple(_BORDERS.get(box.kind, _BORDERS["step"]))
        inner = box.width - 2
        owner = f"box:{box.name}"
        canvas.put(box.x, box.y, tl + horizontal * inner + tr, owner)
        for row in range(1, box.height - 1):
            canvas.put(box.x, box.y + row, vertical + " " * inner + vertical, owner)
        canvas.put(box.x, box.bottom, bl + horizontal * inner + br, owner)
        if box.kind == "end":
            canvas.put(box.x + 1, box.y + 2, f" ◉ {box.name}".ljust(inner), f"title:{box.name}")
        else:
            marker = "◆ " if box.kind == "deci" else ""
            canvas.put(
                box.x + 1, box.y + 1, f" {marker}{box.name}".ljust(inner), f"title:{box.name}"
            )
            canvas.put(box.x + 1, box.y + 2, f" {box.action}".ljust(inner), owner)
            canvas.put(box.x + 1, box.y + 3, " " * inner, f"status:{box.name}")
        for edge in graph_layout.edges:
            if edge.source == box.name:
                canvas.put(edge.points[0][0], box.bottom, "┬", owner)
        if box.self_loop:
            loop = f"loop:{box.name}"
            canvas.put(box.right + 1, box.y + 1, "──╮", loop)
            canvas.put(box.right + 3, box.y + 2, "│ " + box.self_loop, loop)
            canvas.put(box.right + 1, box.y + 3, "◀─╯", loop)
    return canvas
