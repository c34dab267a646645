"""外部系统事件: events posted by the project approval, emission permit and enforcement systems.

Each event is validated, recorded once per sender's event id with its payload as received, and
acted on through the other apps' services in the same transaction (PLAT-1): a cancelled EIA opens
a RES-4 (1) recovery case, a permit updates the registry and re-checks the unit's quota, a
violation opens a supervision finding (SUP-4). Nothing here moves quota.
"""
