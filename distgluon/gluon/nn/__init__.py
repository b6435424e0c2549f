"""``mx.gluon.nn``: neural-network layers (``basic_layers``: containers, Dense, norms,
Embedding, Lambda; ``conv_layers``: convolution and pooling; ``activations``), plus
Block and HybridBlock re-exported as MXNet does."""
from ..block import Block, HybridBlock
from .activations import *  # noqa: F401,F403
from .basic_layers import *  # noqa: F401,F403
from .conv_layers import *  # noqa: F401,F403
from . import activations, basic_layers, conv_layers

__all__ = (['Block', 'HybridBlock'] + activations.__all__ + basic_layers.__all__ +
           conv_layers.__all__)
