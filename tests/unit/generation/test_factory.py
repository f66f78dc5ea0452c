"""Building providers from plain settings values; wrong values name the key and what it takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from maze.generation.providers.base import GenerationRequest
from maze.generation.providers.local import LocalProvider, ModelUnavailable
from maze.generation.providers.none import NoProvider, ProviderDisabled
from tasks.model_providers import ProviderConfigError, ProviderSettings, build_provider
from tasks.model_server import OpenAICompatibleProvider


def test_none_builds_no_provider() -> None:
    assert build_provider(ProviderSettings(kind="none")) is None


async def test_the_off_provider_refuses_clearly(request_for_sum: GenerationRequest) -> None:
    with pytest.raises(ProviderDisabled, match="model_provider is 'none'"):
        await NoProvider().generate(request_for_sum)


def test_openai_builds_a_guarded_server_provider() -> None:
    provider = build_provider(
        ProviderSettings(
            kind="openai",
            url="http://127.0.0.1:8000/v1",
            name="smol",
            flavour="vllm",
            api_key_env="MAZE_TEST_KEY",
            timeout_seconds=7.0,
            retries=3,
            concurrency=4,
        ),
        environ={"MAZE_TEST_KEY": "secret"},
    )
    assert provider is not None
    inner = provider.inner
    assert isinstance(inner, OpenAICompatibleProvider)
    assert (inner.settings.flavour, inner.settings.model, inner.settings.api_key) == (
        "vllm",
        "smol",
        "secret",
    )
    assert (provider.policy.timeout_seconds, provider.policy.retries, provider.policy.concurrency) == (
        7.0,
        3,
        4,
    )
    assert provider.name == "openai:vllm:smol"


def test_local_builds_a_provider_that_loads_nothing_yet(tmp_path: Path) -> None:
    provider = build_provider(ProviderSettings(kind="local", path=tmp_path / "m.gguf", concurrency=4))
    assert provider is not None
    assert isinstance(provider.inner, LocalProvider)
    assert provider.policy.concurrency == 1


async def test_a_local_model_that_is_not_there_is_a_clear_error(
    tmp_path: Path, request_for_sum: GenerationRequest
) -> None:
    provider = build_provider(ProviderSettings(kind="local", path=tmp_path / "missing.gguf"))
    assert provider is not None
    with pytest.raises(
        ModelUnavailable, match=r"neither a directory holding a transformers model nor a \.gguf"
    ):
        await provider.generate(request_for_sum)


@pytest.mark.parametrize(
    ("settings", "key", "expected"),
    [
        (ProviderSettings(kind="remote"), "model_provider", "one of 'none', 'local', 'openai'"),
        (
            ProviderSettings(kind="openai", url="http://h/v1", flavour="ollama"),
            "model_flavour",
            "one of 'llama-cpp', 'vllm', 'sglang', 'openai', 'json-schema'",
        ),
        (ProviderSettings(kind="openai"), "model_url", "the http:// or https:// base URL"),
        (
            ProviderSettings(kind="openai", url="127.0.0.1:8000"),
            "model_url",
            "the http:// or https:// base URL",
        ),
        (
            ProviderSettings(kind="openai", url="http://h/v1", api_key_env="MAZE_UNSET_KEY"),
            "model_api_key_env",
            "a set, non-empty environment variable",
        ),
        (
            ProviderSettings(kind="local"),
            "model_path",
            "a directory holding a transformers model, or a .gguf file",
        ),
        (
            ProviderSettings(kind="local", path="m.gguf", engine="xgrammar"),
            "model_engine",
            "one of 'auto', 'llguidance', 'transformers-cfg'",
        ),
        (
            ProviderSettings(kind="openai", url="http://h/v1", timeout_seconds=0),
            "model_timeout_seconds",
            "greater than 0",
        ),
        (ProviderSettings(kind="local", path="m", retries=-1), "model_retries", "0 or more"),
        (ProviderSettings(kind="none", concurrency=0), "model_concurrency", "1 or more"),
    ],
)
def test_a_wrong_value_names_the_key_and_the_expected_values(
    settings: ProviderSettings, key: str, expected: str
) -> None:
    with pytest.raises(ProviderConfigError) as caught:
        build_provider(settings, environ={})
    assert caught.value.key == key
    assert expected in caught.value.expected
    assert str(caught.value).startswith(f"{key}: ")
