"""Importing loops from a file: plan every row, then write the good ones in one change.

Reading and planning are pure (``core.importing``); this use case finds the loops
the rows name (in the store and its archive), and writes the plan under the
store's lock, journalled as one change that ``undo`` takes back whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from loopcloser.core import importing

if TYPE_CHECKING:
    from loopcloser.core.importing import Lookup, Parsed, Plan
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Transaction

Planner = Callable[["Parsed", "Lookup", importing.Context], "Plan"]
"""Plans the rows against the loops found: ``core.importing.plan``, maybe with progress."""


def import_rows(
    ctx: Context,
    parsed: Parsed,
    source: str,
    *,
    dry_run: bool,
    strict: bool,
    planner: Planner = importing.plan,
) -> tuple[Plan, tuple[list[int], list[int]]]:
    """Plan ``parsed`` rows against the store and, unless told not to, write the plan.

    Returns the plan and the ids (added, updated) written. Nothing is written on a dry
    run, nor under ``strict`` when any row has a problem.
    """
    context = importing.Context(ctx.now, ctx.agent, ctx.calendar(), source)
    target = ctx.store()
    ids: tuple[list[int], list[int]] = ([], [])
    if dry_run:
        return planner(parsed, stored_loops(target.all_documents()), context), ids
    with target.transaction() as transaction:
        # Loops finished long ago are in the archive: a row may name one of them too.
        plan = planner(parsed, stored_loops(transaction.all_documents()), context)
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


def write_plan(
    transaction: Transaction, plan: Plan, context: importing.Context
) -> tuple[list[int], list[int]]:
    """Add and update the loops in the store's one write, journalled as one change."""
    from loopcloser.core.documents import journal_entry
    from loopcloser.core.model import Kind, to_document

    added = transaction.insert_many([to_document(loop) for loop in plan.added])
    updated = {loop_id: to_document(loop) for loop_id, loop, _ in plan.updated}
    for loop_id in updated:
        if transaction.get(loop_id) is None:
            transaction.bring_back(loop_id)  # changed, so no longer finished long ago
    transaction.put_many(updated)
    before: dict[int, dict[str, Any] | None] = dict.fromkeys(added)
    before.update({loop_id: dict(document) for loop_id, _, document in plan.updated})
    what = f"import from {context.source}: {len(added):,} added, {len(updated):,} updated"
    # The journal reads only when and by whom from the event.
    transaction.log(journal_entry(context.event(Kind.NOTE), what, before))
    return added, list(updated)
