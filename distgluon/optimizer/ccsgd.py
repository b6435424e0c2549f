"""``ccsgd``: MXNet's deprecated alias of SGD, kept for old scripts."""
from .optimizer import register
from .sgd import SGD

__all__ = ['ccSGD']


@register
class ccSGD(SGD):  # pylint: disable=invalid-name
    """[DEPRECATED] Same as `SGD`. Left here for backward compatibility."""
