"""The executable's first lines: rest the garbage collector, then run the command line.

Also ``python -m loopcloser``.
"""

import gc


def main() -> None:
    """Entry point of the ``loopcloser`` executable and of ``python -m loopcloser``."""
    # A command lives for a moment and makes almost no reference cycles, yet the cycle
    # collector walks every object it builds: 5 ms of each start-up, and a third of
    # the time of an export of 100,000 loops, for no memory given back.
    gc.disable()
    from loopcloser.cli.main import main as run

    try:
        run()
    finally:
        # At exit the interpreter collects once more, disabled or not: a walk of every
        # object the command built (14 ms after listing 300 loops) for memory the
        # process hands back anyway. Frozen, they are freed as the modules go.
        gc.freeze()


if __name__ == "__main__":
    main()
