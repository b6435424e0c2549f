"""``mx.gluon``: Parameters (``parameter``, ``parameter_dict``), Blocks (``block``,
``summary``) and all naming state (``naming``: MXNet 1.x by default, MXNet 2 opt-in).

nn layers, losses, metrics, the Trainer and utilities live in their own modules.
"""
from .parameter import Parameter, Constant, ParameterDict, DeferredInitializationError
from .block import Block, HybridBlock
from . import naming
from .trainer import Trainer
from .symbol_block import SymbolBlock
from . import utils, data, nn, loss, rnn
from .. import metric
from . import model_zoo

__all__ = ['Parameter', 'Constant', 'ParameterDict', 'DeferredInitializationError', 'Block',
           'HybridBlock', 'naming', 'Trainer', 'SymbolBlock', 'utils', 'data', 'metric', 'nn', 'loss', 'rnn', 'model_zoo']
