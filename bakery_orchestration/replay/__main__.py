"""``python -m bakery_orchestration.replay ARGS_JSON``: the child process of ``bakery-orch
replay`` (see ``process``)."""

import sys

from bakery_orchestration.replay.process import child_main

if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
