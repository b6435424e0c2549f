"""Start-the-role-on-import, for jobs launched by MXNet-style tooling.

MXNet's tools (``tools/launch.py``, dmlc-tracker, cluster schedulers) run the *same*
command for every process and tell each its role with ``DMLC_ROLE``; MXNet turns a
process whose role is ``server`` or ``scheduler`` into that role when it imports mxnet,
and ends the process when the job ends. distgluon does the same, here and only here:
``import distgluon`` calls `run_role_from_env` last, which returns at once for workers
(and when no role is set) and otherwise serves, then exits with the role's status.

distgluon-launch does not rely on this: it starts servers and the scheduler explicitly
with ``python -m distgluon.kvstore.dist.server`` / ``.scheduler``.
"""
import os
import sys

__all__ = ['run_role_from_env']


def run_role_from_env(environ=None):
    """If DISTGLUON_ROLE / DMLC_ROLE is 'server' or 'scheduler', run that role and exit.

    Returns None (and does nothing) in a worker or outside a distributed job. In a
    server or scheduler it does not return: the process exits with the role's status
    (0 when the job ended normally) via SystemExit.
    """
    env = os.environ if environ is None else environ
    role = (env.get('DISTGLUON_ROLE') or env.get('DMLC_ROLE') or '').strip().lower()
    if role == 'server':
        from .server import main
    elif role == 'scheduler':
        from .scheduler import main
    else:
        return None
    sys.stdout.flush()
    raise SystemExit(main())
