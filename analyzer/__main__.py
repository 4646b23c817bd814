"""``python -m analyzer`` runs the ``mxa`` command; :func:`main` is its console script.

Ctrl-C is taken in hand before the command's heavy imports (pyarrow, pandas), so that
it stops quietly even then (:mod:`analyzer.interrupt`).
"""

from analyzer.interrupt import stop_quietly_on_ctrl_c


def main() -> None:
    stop_quietly_on_ctrl_c()
    from analyzer.cli import main as run_command

    run_command()


if __name__ == "__main__":
    main()
