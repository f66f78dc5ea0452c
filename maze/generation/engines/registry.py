"""Which engines are installed, and the engine for a configured name (`auto` = the fastest installed).

Order measured with `python benches/bench_masks.py` on SmolLM2-135M-Instruct's 49,152-token vocabulary
(2 shared cores): per-token mask time p50 / p99 over the project grammars was llguidance 0.34-0.95 /
0.9-2.5 ms and transformers-cfg 0.5-3.3 / 1.6-75 s; compile 40-60 ms against 18-33 ms; greedy decoding
under `python-simple-statement` ran at 85% of unconstrained tokens/s with llguidance. So llguidance first.
"""

from __future__ import annotations

import functools
import importlib.util

from maze.generation.engines.base import Engine

FASTEST_FIRST = ("llguidance", "transformers-cfg")
_MODULES = {"llguidance": "llguidance", "transformers-cfg": "transformers_cfg"}


class EngineUnavailable(LookupError):
    """The configured engine is unknown or its library is not installed."""


def available() -> list[str]:
    """Names of the installed engines, fastest first."""
    return [name for name in FASTEST_FIRST if importlib.util.find_spec(_MODULES[name]) is not None]


def get(name: str = "auto") -> Engine:
    """The engine called `name`, or for `auto` the fastest installed one; one shared instance per name."""
    if name == "auto":
        installed = available()
        if not installed:
            choices = ", ".join(FASTEST_FIRST)
            raise EngineUnavailable(f"no constrained-decoding engine is installed (one of {choices})")
        name = installed[0]
    if name not in _MODULES:
        raise EngineUnavailable(f"unknown engine {name!r}; choose auto or one of {', '.join(FASTEST_FIRST)}")
    if importlib.util.find_spec(_MODULES[name]) is None:
        raise EngineUnavailable(f"engine {name!r} needs the {_MODULES[name]} package, which is not installed")
    return _shared(name)


@functools.cache
def _shared(name: str) -> Engine:
    if name == "llguidance":
        from maze.generation.engines.llguidance_engine import LlguidanceEngine

        return LlguidanceEngine()
    from maze.generation.engines.transformers_cfg_engine import TransformersCfgEngine

    return TransformersCfgEngine()
