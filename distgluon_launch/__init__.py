"""distgluon-launch: starts a distributed distgluon job. config.py parses the command line
into one frozen config, one backend per file (local, ssh, mpi, slurm) builds argument
lists, procs.py runs and supervises them; __main__.py is the entry point and manual.
Imports neither numpy nor distgluon."""

__all__ = ['main']


def main(argv=None):
    """Run distgluon-launch with ``argv`` (default: the command line); returns the status."""
    from .__main__ import main as _main
    return _main(argv)
