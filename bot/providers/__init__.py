"""Provider adapters: the anthropic and openai SDKs behind commands.providers.Provider.

`build_providers` imports an SDK only when its key is set, so a bot with one provider never loads the other.
"""

from __future__ import annotations

from bot.config import Config
from commands.providers import Provider


def build_providers(config: Config) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    if config.anthropic_api_key:
        from bot.providers.anthropic_provider import AnthropicProvider

        providers["anthropic"] = AnthropicProvider.from_config(config)
    if config.openai_api_key:
        from bot.providers.openai_provider import OpenAIProvider

        providers["openai"] = OpenAIProvider.from_config(config)
    return providers
