"""Provider adapters: the anthropic and openai SDKs behind commands.providers.Provider.

`build_providers` imports an SDK only when its key is set, so a bot with one provider never loads the other.
Adding a provider: its table in the policy, one adapter module here (and its line in ADAPTERS), one fake.
"""

from __future__ import annotations

from importlib import import_module

from bot.config import Config
from commands.providers import Provider

# provider id (the policy's [providers]) -> "module:class" of its adapter, imported only when configured
ADAPTERS = {
    "anthropic": "bot.providers.anthropic_provider:AnthropicProvider",
    "openai": "bot.providers.openai_provider:OpenAIProvider",
}


def build_providers(config: Config) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for provider in config.configured_providers:
        module, _, name = ADAPTERS[provider].partition(":")
        providers[provider] = getattr(import_module(module), name).from_config(config)
    return providers
