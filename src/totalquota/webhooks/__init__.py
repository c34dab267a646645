"""外发事件订阅 (webhooks): the park's shared events posted to other systems, signed, in order.

See :mod:`totalquota.webhooks.delivery` for the guarantees and ``docs/integration.md`` for what a
receiver gets and how it checks the signature.
"""
