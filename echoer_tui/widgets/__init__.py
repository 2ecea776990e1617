"""Widgets of the workbench that are bigger than a few lines: editor, graph, completion."""
