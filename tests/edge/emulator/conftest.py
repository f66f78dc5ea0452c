"""Fixtures of the emulator's tests: keys per module, a fresh world and an HTTP client per test."""

from __future__ import annotations

import pytest

from bot.emulator import create_emulator_app
from tests.edge.emulator.support import Client, ClientFactory, Keys, World, make_world, mint, new_keys


@pytest.fixture(scope="module")
def keys() -> Keys:
    return new_keys()


@pytest.fixture()
def world(keys: Keys) -> World:
    return make_world(keys)


@pytest.fixture()
async def client(world: World, aiohttp_client: ClientFactory) -> Client:
    return await aiohttp_client(create_emulator_app(world.state))


@pytest.fixture()
async def token(client: Client, world: World, keys: Keys) -> str:
    return await mint(client, keys, world.installation)
