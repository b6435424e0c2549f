"""``mx.gluon.rnn``: recurrent cells stepped or unrolled in Python (``rnn_cell``, with the
cells built from other cells in ``rnn_containers``) and the fused layers RNN, LSTM and GRU
over the ``RNN`` operator (``rnn_layer``)."""
from .rnn_cell import *  # noqa: F401,F403
from .rnn_layer import *  # noqa: F401,F403
from . import rnn_cell, rnn_layer

__all__ = rnn_cell.__all__ + rnn_layer.__all__
