"""A sync that finishes what an erasure asks of a replica.

A loop erased from the hub (a customer's right to erasure) leaves this store at the
sync; the store's daily copies and any mention of that customer in other loops must
go too, as a local ``forget`` does. The hub's tombstone holds no name, so the name
comes from the copy this store held, and is not kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopcloser.core.words import _
from loopcloser.services.forget import FORGOTTEN, forget
from loopcloser.services.sync import PURGE, Synced, sync

if TYPE_CHECKING:
    from loopcloser.services.context import Context


def sync_and_purge(ctx: Context) -> Synced:
    """Sync with the hub; then forget, here, every customer whose loops it erased (those
    a sync cut short left to do too: the store keeps their names until then)."""
    done = sync(ctx)
    store = ctx.store()
    for name in sorted(done.erased_customers - {FORGOTTEN}):
        failed = forget([store], name).failed
        done.refused += [
            _("could not erase {path}: {reason}").format(path=path, reason=message)
            for path, message in failed
        ]
    if done.erased_customers:
        with store.transaction() as transaction:
            transaction.set_meta(PURGE, [])
    done.erased_customers.clear()
    return done
