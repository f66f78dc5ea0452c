"""Webhook intake: signature checks, delivery claims and the event routers."""
