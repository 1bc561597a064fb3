"""The later half of a large archive, read for an export by a second process.

An export of every loop spends most of its time reading, checking and rendering the
archive, one document after another: work that two processor cores can share. Where
the system can fork and the archive is large, a forked copy of the process reads the
later half of the archive's files into a scratch file made before the fork, while the
export reads the earlier half; the copy then hands over, through a pipe, the sort keys
of what it rendered, the ids it read (a later copy of an id wins, even a bad one), and
what it passed over. Anything that goes wrong in the copy (an archive file that cannot
be read, a crash, a kill) makes the export read that half itself, as it reads without
a second process, so that what it writes and says never depends on the split.
"""

from __future__ import annotations

import marshal
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from loopcloser.core.errors import StoreError

if TYPE_CHECKING:
    from loopcloser.storage.store import Scratch, Segment

PARALLEL_FROM = 16 << 20
"""Bytes of archive from which a second process reads half: below, forking costs
more than it saves."""
HANDED = 1 << 40
"""Added to the numbers of the pieces the second process kept: they are in its scratch."""

Documents = Iterator[tuple[int, dict[str, Any]]]
Key = tuple[int, str, str, int, int]


def may_fork() -> bool:
    """Whether this process may fork a copy of itself: the system can, and no other
    thread runs (a progress bar's writes to the terminal), whose locks a copy would hold."""
    threading = sys.modules.get("threading")
    return hasattr(os, "fork") and (threading is None or threading.active_count() == 1)


def halves(segments: list[Segment]) -> tuple[list[Segment], list[Segment]]:
    """The archive's files split for two readers (earlier months, later months), or all
    of them for one: where this process may not fork, or there is too little to share."""
    sizes = [segment.size() for segment in segments]
    if len(segments) < 2 or sum(sizes) < PARALLEL_FROM or not may_fork():
        return segments, []
    half, taken = sum(sizes) / 2, 0
    for cut, size in enumerate(sizes):
        taken += size
        if taken >= half:
            cut = min(max(cut, 1), len(segments) - 1)
            return segments[:cut], segments[cut:]
    return segments, []


class Reading:
    """The second process, forked to read ``documents``, and what it hands over."""

    def __init__(self, pid: int, pipe: int, scratch: Scratch) -> None:
        self.pid, self.pipe, self.scratch = pid, pipe, scratch

    @classmethod
    def start(
        cls,
        scratch: Scratch,
        read: Callable[[Scratch], tuple[list[Key], list[int], dict[str, str]]],
    ) -> Reading | None:
        """Fork a process that runs ``read`` into ``scratch`` (its pieces, sort keys, the
        ids it read and what it passed over); None when the system refuses to fork."""
        scratch.on_file()
        sys.stdout.flush()
        sys.stderr.flush()
        pipe_in, pipe_out = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(pipe_in)
            os.close(pipe_out)
            return None
        if pid == 0:  # the second process: it never returns to the caller
            status = 1
            try:
                os.close(pipe_in)
                keys, seen, bad = read(scratch)
                handed = marshal.dumps((keys, seen, bad, scratch.handed_over()))
                with os.fdopen(pipe_out, "wb") as out:
                    out.write(handed)
                status = 0
            finally:
                os._exit(status)
        os.close(pipe_out)
        return cls(pid, pipe_in, scratch)

    def handed_over(self) -> tuple[list[Key], list[int], dict[str, str]] | None:
        """What the second process read, once it has ended; None if it did not end well
        (the caller reads its half then)."""
        try:
            with os.fdopen(self.pipe, "rb") as handed:
                data = handed.read()
            _, status = os.waitpid(self.pid, 0)
        except BaseException:
            self.stop()
            raise
        if status != 0 or not data:
            return None
        keys, seen, bad, state = marshal.loads(data)
        self.scratch.take_over(state)
        return keys, seen, bad

    def stop(self) -> None:
        """End the second process (the export was interrupted)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def documents_of(
    segments: list[Segment], leave_out: set[int], faults: list[StoreError]
) -> Documents:
    """The documents of the archive's ``segments`` whose ids are not in ``leave_out``; the
    first fault (an unreadable file) goes to ``faults``, and ends them."""
    for segment in segments:
        documents = segment.each_document()
        while True:
            try:
                loop_id, document = next(documents)
            except StopIteration:
                break
            except StoreError as error:
                faults.append(error)
                return
            if loop_id not in leave_out:
                yield loop_id, document
