"""The Streamlit server process that `athena-bot serve web` starts: Streamlit's own command line
(``streamlit run`` on the page), with the page's wiring built meanwhile on a thread so the
first visitor does not wait for the lake, the model and the example questions."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from streamlit.web import cli

from bot.web import PAGE, warm_page_context


def _stop_with_parent(parent: int) -> None:
    """`serve web` owns this server: if it dies, even by SIGKILL, the server stops too."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)  # Streamlit's own clean shutdown


def main(argv: list[str]) -> None:
    threading.Thread(target=_stop_with_parent, args=(os.getppid(),), name="parent-watch", daemon=True).start()
    threading.Thread(target=warm_page_context, name="warm-page", daemon=True).start()
    sys.argv = ["streamlit", "run", str(PAGE), *argv]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
