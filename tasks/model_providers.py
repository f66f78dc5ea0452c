"""Build a provider from plain settings values: the kind, the model path or server URL, the server
flavour, the engine, and the guard's limits. Nothing is loaded or connected until the first generation.

Every provider comes wrapped in a `GuardedProvider` that checks each output against its grammar. A wrong
value is a `ProviderConfigError` naming the settings key, the value, and what is expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, cast

from maze.config import Settings
from maze.generation.providers.checking import check_generation
from maze.generation.providers.guard import GuardedProvider, GuardPolicy
from maze.generation.providers.local import LocalProvider, LocalSettings
from tasks.model_server import (
    FLAVOURS,
    Flavour,
    OpenAICompatibleProvider,
    ServerSettings,
)

KINDS: Final = ("none", "local", "openai")
ENGINES: Final = ("auto", "llguidance", "transformers-cfg")
DEFAULT_MODEL_NAME: Final = "default"


class ProviderConfigError(ValueError):
    """A settings value the factory cannot use; `key` names the setting, `expected` what it takes."""

    def __init__(self, key: str, value: object, expected: str) -> None:
        super().__init__(f"{key}: {value!r} cannot be used: expected {expected}")
        self.key = key
        self.value = value
        self.expected = expected


@dataclass(frozen=True)
class ProviderSettings:
    """The plain values a provider is built from, named as in `maze.config.Settings` (less `model_`)."""

    kind: str = "none"
    path: Path | str | None = None
    url: str | None = None
    name: str | None = None
    flavour: str = "llama-cpp"
    engine: str = "auto"
    api_key: str | None = None
    api_key_env: str | None = None
    timeout_seconds: float = 60.0
    retries: int = 2
    concurrency: int = 2


def provider_from(settings: Settings) -> GuardedProvider | None:
    """The provider the operator's settings ask for (None for `model_provider = "none"`)."""
    return build_provider(
        ProviderSettings(
            kind=settings.model_provider,
            path=settings.model_path,
            url=settings.model_url,
            name=settings.model_name,
            flavour=settings.model_flavour,
            engine=settings.model_engine,
            api_key=settings.model_api_key.get_secret_value() if settings.model_api_key else None,
            timeout_seconds=settings.model_timeout_seconds,
            retries=settings.model_retries,
            concurrency=settings.model_concurrency,
        )
    )


def build_provider(
    settings: ProviderSettings, environ: Mapping[str, str] | None = None
) -> GuardedProvider | None:
    """The guarded provider the settings describe; None for kind `none` (no model)."""
    policy = _policy(settings)
    if settings.kind == "none":
        return None
    if settings.kind == "local":
        if settings.path is None or not str(settings.path).strip():
            raise ProviderConfigError(
                "model_path", settings.path, "a directory holding a transformers model, or a .gguf file"
            )
        if settings.engine not in ENGINES:
            raise ProviderConfigError("model_engine", settings.engine, _one_of(ENGINES))
        inner = LocalProvider(LocalSettings(Path(settings.path), settings.engine))
        # One model on this machine decodes one request at a time; more would only wait inside it.
        policy = replace(policy, concurrency=1)
        return GuardedProvider(inner, policy, check=check_generation)
    if settings.kind == "openai":
        return GuardedProvider(_server(settings, environ), policy, check=check_generation)
    raise ProviderConfigError("model_provider", settings.kind, _one_of(KINDS))


def _server(settings: ProviderSettings, environ: Mapping[str, str] | None) -> OpenAICompatibleProvider:
    url = (settings.url or "").strip()
    if not url.startswith(("http://", "https://")):
        raise ProviderConfigError(
            "model_url", settings.url, "the http:// or https:// base URL of an OpenAI-compatible server"
        )
    if settings.flavour not in FLAVOURS:
        raise ProviderConfigError("model_flavour", settings.flavour, _one_of(FLAVOURS))
    return OpenAICompatibleProvider(
        ServerSettings(
            base_url=url,
            model=settings.name or DEFAULT_MODEL_NAME,
            flavour=cast(Flavour, settings.flavour),
            api_key=_api_key(settings, os.environ if environ is None else environ),
            timeout_seconds=settings.timeout_seconds,
        )
    )


def _api_key(settings: ProviderSettings, environ: Mapping[str, str]) -> str | None:
    if settings.api_key is not None:
        return settings.api_key
    if settings.api_key_env is None:
        return None
    key = environ.get(settings.api_key_env, "")
    if not key:
        raise ProviderConfigError(
            "model_api_key_env", settings.api_key_env, "the name of a set, non-empty environment variable"
        )
    return key


def _policy(settings: ProviderSettings) -> GuardPolicy:
    checks = (
        (
            "model_timeout_seconds",
            settings.timeout_seconds,
            settings.timeout_seconds > 0,
            "a number of seconds greater than 0",
        ),
        ("model_retries", settings.retries, settings.retries >= 0, "a whole number, 0 or more"),
        ("model_concurrency", settings.concurrency, settings.concurrency >= 1, "a whole number, 1 or more"),
    )
    for key, value, good, expected in checks:
        if not good:
            raise ProviderConfigError(key, value, expected)
    return GuardPolicy(
        timeout_seconds=settings.timeout_seconds, retries=settings.retries, concurrency=settings.concurrency
    )


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(repr(value) for value in values)
