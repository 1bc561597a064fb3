"""Importing loops from a file: plan the rows as they are read, then write them in one change.

Reading and planning are pure (``core.importing``); this use case finds the loops
the rows name (in the store and its archive), and writes the plan under the
store's lock, journalled as one change that ``undo`` takes back whole.

A file may hold hundreds of thousands of new loops, too many to hold as loops or
documents: each new loop goes to the transaction's spool (``storage.store.Spool``)
as soon as its row is planned, serialised to a private file without a name, and
the store's one atomic write streams them in. Memory holds the store as read, the
updates (no more than the store's loops), the refused rows, and a few dozen
bytes a new loop: the uids already seen and the spool's offsets. Rows are read
under the store's lock, so a pipe into ``import -`` holds the lock until it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from loopcloser.core import importing
from loopcloser.core.model import Kind, to_document
from loopcloser.core.replica import carried

if TYPE_CHECKING:
    from loopcloser.core.importing import Lookup, Plan, Record
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Transaction

Written = tuple[range, list[int]]
"""The ids a written plan added (in order) and updated."""


def import_rows(
    ctx: Context,
    records: Iterable[Record],
    source: str,
    *,
    dry_run: bool,
    strict: bool,
    step: Callable[[], object] | None = None,
) -> tuple[Plan, Written]:
    """Plan ``records`` against the store and, unless told not to, write the plan.

    Returns the plan and the ids (added, updated) written. Nothing is written on a dry
    run, nor under ``strict`` when any row has a problem. ``step`` is called after
    each row.
    """
    context = importing.Context(ctx.now, ctx.agent, ctx.calendar(), source)
    target = ctx.store()
    ids: Written = (range(0), [])
    if dry_run:
        found = stored_loops(target.all_documents())
        return importing.plan_stream(records, found, context, lambda *_: None, step), ids
    with target.transaction() as transaction:

        def keep(place: int, new: importing.New) -> None:
            transaction.spool().add(place, new.document)

        # Loops finished long ago are in the archive: a row may name one of them too.
        found = stored_loops(transaction.all_documents())
        plan = importing.plan_stream(records, found, context, keep, step)
        if plan.changes and not (strict and plan.problems):
            ids = write_plan(transaction, plan, context)
    return plan, ids


def stored_loops(documents: Mapping[int, Mapping[str, Any]]) -> Lookup:
    """Where an import finds the loop a row names: the store's and the archive's, by uid."""
    by_uid: dict[str, tuple[int, Mapping[str, Any]]] = {}
    for loop_id, document in documents.items():
        uid = document.get("uid")
        if isinstance(uid, str):
            by_uid.setdefault(uid, (loop_id, document))
    return by_uid.get


def write_plan(transaction: Transaction, plan: Plan, context: importing.Context) -> Written:
    """Add the spooled loops and update the others in the store's one write, as one change."""
    from loopcloser.core.documents import journal_entry

    added = transaction.insert_spooled()
    updated = {
        loop_id: carried(document, to_document(loop)) for loop_id, loop, document in plan.updated
    }
    for loop_id in updated:
        if transaction.get(loop_id) is None:
            transaction.bring_back(loop_id)  # changed, so no longer finished long ago
    transaction.put_many(updated)
    # The new loops are journalled as absent before by the store as it writes them.
    before: dict[int, dict[str, Any] | None] = {
        loop_id: dict(document) for loop_id, _, document in plan.updated
    }
    what = f"import from {context.source}: {len(added):,} added, {len(updated):,} updated"
    # The journal reads only when and by whom from the event.
    transaction.log(journal_entry(context.event(Kind.NOTE), what, before), created=added)
    return added, list(updated)
