"""routebot's Slack side: settings, the Bolt app, Block Kit rendering, provider adapters, the scheduler.

Kept import-free on purpose: `routebot route` must not pay for slack_bolt or the provider SDKs.
"""
