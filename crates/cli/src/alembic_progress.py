# Carried inside the migdiff binary: runs Alembic's command line as
# `python -m alembic` would, and writes one marker line on stderr after each
# migration step, through Alembic's documented `on_version_apply` hook, so
# migdiff can show progress on long chains. The project's env.py is
# untouched; a hook it configures itself still runs.
import sys

import alembic.runtime.environment as environment
from alembic.config import main

MARKER = "\x00migdiff-step\n"
configure = environment.EnvironmentContext.configure


def configure_with_progress(self, *args, **kwargs):
    theirs = kwargs.get("on_version_apply") or ()
    if callable(theirs):
        theirs = (theirs,)

    def step(**kw):
        sys.stderr.write(MARKER)
        sys.stderr.flush()

    kwargs["on_version_apply"] = [*theirs, step]
    return configure(self, *args, **kwargs)


environment.EnvironmentContext.configure = configure_with_progress
main(argv=sys.argv[1:], prog="alembic")
