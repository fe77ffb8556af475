"""The processors of the foreign-key table-table join (KIP-213).

Left side: :mod:`.send` turns each left update into subscriptions keyed by foreign
key; :mod:`.response` joins the answers with the current left value. Right side
(:mod:`.foreign`): subscriptions are stored by foreign key + primary key and answered
with the right value, and each right update answers every subscriber.
"""

from __future__ import annotations

from runtime.processors.fk_join.foreign import (
    ForeignTableJoin,
    SubscriptionJoin,
    SubscriptionReceive,
)
from runtime.processors.fk_join.join_serdes import ForeignKeyJoinSerdes
from runtime.processors.fk_join.response import ResponseJoin
from runtime.processors.fk_join.send import SubscriptionSend

__all__ = [
    "ForeignKeyJoinSerdes",
    "ForeignTableJoin",
    "ResponseJoin",
    "SubscriptionJoin",
    "SubscriptionReceive",
    "SubscriptionSend",
]
