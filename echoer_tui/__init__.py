"""echoer: a workbench for business flows written in FSL.

Kept light on purpose: `echoer --version` and `echoer check` must not pay for
importing Textual, prompt_toolkit or the engine.
"""

__version__ = "0.1.0"
