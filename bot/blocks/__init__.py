"""Block Kit rendering: pure functions from routebot's values to Slack message payloads."""
