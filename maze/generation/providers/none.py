"""The provider for `model_provider = none`: no model; only tool and symbolic repairs run.

`tasks.model_providers.build_provider` returns None for this kind, so callers skip model generation
altogether; `NoProvider` is for code that wants an object anyway: it refuses every request with a clear error.
"""

from __future__ import annotations

from maze.generation.providers.base import Generation, GenerationRequest, ProviderError


class ProviderDisabled(ProviderError):
    """Model generation is turned off in the settings."""


class NoProvider:
    """A provider that is off."""

    @property
    def name(self) -> str:
        return "none"

    async def generate(self, request: GenerationRequest) -> Generation:
        raise ProviderDisabled("model_provider is 'none': no model generates candidates")
