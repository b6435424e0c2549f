"""Recurrent cells, as MXNet 1.x ``gluon.rnn``: one time step per call, ``unroll`` over a
sequence.

A cell maps ``(inputs, states) -> (output, new_states)``; ``begin_state`` makes the
initial states and ``unroll(length, inputs, layout='NTC'|'TNC', merge_outputs,
valid_length)`` runs the cell over a sequence. Stacks (``SequentialRNNCell``), wrappers
(``DropoutCell``, ``ZoneoutCell``, ``ResidualCell``) and ``BidirectionalCell`` compose
cells. Parameter names, prefixes (``lstm0_i2h_weight``), the operators each step applies
(so hybridized graphs match) and the reprs are MXNet 1.9.1's.
"""
import numpy as np

from ... import ndarray
from ...base import MXNetError
from ..block import Block, HybridBlock
from ..parameter import tensor_types
from ..nn import LeakyReLU

__all__ = ['RecurrentCell', 'HybridRecurrentCell', 'RNNCell', 'LSTMCell', 'GRUCell',
           'SequentialRNNCell', 'HybridSequentialRNNCell', 'DropoutCell', 'ModifierCell',
           'ZoneoutCell', 'ResidualCell', 'BidirectionalCell']


def _symbol():
    from ... import symbol
    return symbol


def _as_list(obj):
    return obj if isinstance(obj, list) else [obj]


def _symbol_zeros(**kwargs):
    """``mx.sym.zeros`` (MXNet's default ``func`` of ModifierCell.begin_state)."""
    zeros = getattr(_symbol(), 'zeros', None)
    if zeros is None:
        raise MXNetError('mx.sym.zeros is not available in this build; pass '
                         'func=mx.nd.zeros (or mx.sym.var) to begin_state')
    return zeros(**kwargs)


def _cells_state_info(cells, batch_size):
    return sum([c.state_info(batch_size) for c in cells], [])


def _cells_begin_state(cells, **kwargs):
    return sum([c.begin_state(**kwargs) for c in cells], [])


def _get_begin_state(cell, F, begin_state, inputs, batch_size):
    if begin_state is not None:
        return begin_state
    if F is ndarray:
        ctx = inputs.context if isinstance(inputs, tensor_types) else inputs[0].context
        with ctx:
            return cell.begin_state(func=F.zeros, batch_size=batch_size)
    return cell.begin_state(func=_symbol_zeros, batch_size=batch_size)


def _format_sequence(length, inputs, layout, merge, in_layout=None):
    """Inputs as one tensor (``merge`` True) or a list of per-step tensors (False; None
    leaves them as given): ``(inputs, time axis, F, batch size)``."""
    if inputs is None:
        raise AssertionError('unroll(inputs=None) has been deprecated. Please create input '
                             'variables outside unroll.')
    symbol = _symbol()
    axis = layout.find('T')
    batch_axis = layout.find('N')
    batch_size = 0
    in_axis = in_layout.find('T') if in_layout is not None else axis
    if isinstance(inputs, symbol.Symbol):
        F = symbol
        if merge is False:
            if len(inputs.list_outputs()) != 1:
                raise AssertionError(
                    "unroll doesn't allow grouped symbol as input. Please convert to list "
                    'with list(inputs) first or let unroll handle splitting.')
            inputs = list(symbol.split(inputs, axis=in_axis, num_outputs=length,
                                       squeeze_axis=1))
    elif isinstance(inputs, ndarray.NDArray):
        F = ndarray
        batch_size = inputs.shape[batch_axis]
        if merge is False:
            if length is not None and length != inputs.shape[in_axis]:
                raise AssertionError('unroll: length={} but the inputs have {} steps along '
                                     'axis {}'.format(length, inputs.shape[in_axis], in_axis))
            inputs = _as_list(ndarray.split(inputs, axis=in_axis,
                                            num_outputs=inputs.shape[in_axis],
                                            squeeze_axis=1))
    else:
        if length is not None and len(inputs) != length:
            raise AssertionError('unroll: length={} but {} inputs were given'.format(
                length, len(inputs)))
        if isinstance(inputs[0], symbol.Symbol):
            F = symbol
        else:
            F = ndarray
            batch_size = inputs[0].shape[0]
        if merge is True:
            inputs = F.stack(*inputs, axis=axis)
            in_axis = axis
    if isinstance(inputs, tensor_types) and axis != in_axis:
        inputs = F.swapaxes(inputs, dim1=axis, dim2=in_axis)
    return inputs, axis, F, batch_size


def _time_index(F, valid_length, length, reverse):
    """Flat row indices into a (T*N, ...) array: each item's last valid step (reverse
    False) or its first ``valid_length`` steps reversed (True), for the nd path."""
    lengths = np.trunc(valid_length.asnumpy()).astype(np.int64)
    n = lengths.shape[0]
    if not reverse:
        return ndarray.array((lengths - 1) * n + np.arange(n), ctx=valid_length.context)
    t = np.arange(length)[:, None]
    src = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    return ndarray.array(src * n + np.arange(n)[None, :], ctx=valid_length.context)


def _take_steps(F, data, index):
    """Rows ``index`` of ``data`` (T, N, ...) flattened to (T*N, ...)."""
    flat = F.reshape(data, shape=(-3, -2))
    out = F.take(flat, index, axis=0)
    return out if index.ndim == 1 else F.reshape(out, shape=index.shape + data.shape[2:])


def _sequence_last(F, data, valid_length, length):
    op = getattr(F, 'SequenceLast', None)
    if op is not None:
        return op(data, sequence_length=valid_length, use_sequence_length=True, axis=0)
    if F is not ndarray:
        raise MXNetError('unroll with valid_length on Symbols needs the SequenceLast '
                         'operator, which this build lacks')
    return _take_steps(F, data, _time_index(F, valid_length, length, False))


def _sequence_reverse(F, data, valid_length, length):
    op = getattr(F, 'SequenceReverse', None)
    if op is not None:
        return op(data, sequence_length=valid_length, use_sequence_length=True)
    if F is not ndarray:
        raise MXNetError('BidirectionalCell.unroll with valid_length on Symbols needs the '
                         'SequenceReverse operator, which this build lacks')
    return _take_steps(F, data, _time_index(F, valid_length, length, True))


def _mask_sequence_variable_length(F, data, length, valid_length, time_axis, merge):
    if not isinstance(data, tensor_types):
        data = F.stack(*data, axis=time_axis)
    outputs = F.SequenceMask(data, sequence_length=valid_length, use_sequence_length=True,
                             axis=time_axis)
    if not merge:
        outputs = _as_list(F.split(outputs, num_outputs=length, axis=time_axis,
                                   squeeze_axis=True))
    return outputs


def _reverse_sequences(sequences, unroll_step, valid_length=None):
    F = _symbol() if isinstance(sequences[0], _symbol().Symbol) else ndarray
    if valid_length is None:
        return list(reversed(sequences))
    rev = _sequence_reverse(F, F.stack(*sequences, axis=0), valid_length, unroll_step)
    if unroll_step > 1 or F is not ndarray:
        return _as_list(F.split(rev, axis=0, num_outputs=unroll_step, squeeze_axis=True))
    return [rev[0]]


class RecurrentCell(Block):
    """Abstract base class of RNN cells.

    Parameters
    ----------
    prefix : str, optional
        Prefix of the names of Blocks and weights.
    params : ParameterDict, optional
        Parameters to share with another cell.
    """

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Reset before re-using the cell for another graph."""
        self._init_counter = -1
        self._counter = -1
        for cell in self._children.values():
            cell.reset()

    def state_info(self, batch_size=0):
        """Shape and layout of each state: a list of dicts."""
        raise NotImplementedError()

    def _check_not_modified(self):
        if self._modified:
            raise AssertionError('After applying modifier cells (e.g. ZoneoutCell) the base '
                                 'cell cannot be called directly. Call the modifier cell '
                                 'instead.')

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """The initial states: ``func(name=..., shape=..., **kwargs)`` for each state
        (``mx.nd.zeros`` by default; ``mx.sym.var`` feeds states as graph inputs)."""
        self._check_not_modified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name='%sbegin_state_%d' % (self._prefix, self._init_counter),
                               **info))
        return states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None,
               valid_length=None):
        """Run the cell over ``length`` time steps.

        Parameters
        ----------
        length : int
            Number of steps.
        inputs : NDArray, Symbol or list of them
            One tensor laid out as ``layout`` ('NTC' or 'TNC'), or a list of (N, C)
            steps.
        begin_state : list, optional
            Initial states (default: `begin_state` zeros).
        layout : str
            'NTC' or 'TNC'.
        merge_outputs : bool, optional
            True: one tensor in ``layout``; False: a list of steps; None: as convenient.
        valid_length : NDArray or Symbol, optional
            (N,) lengths: outputs beyond them are 0 and the states returned are those
            of each item's last valid step.

        Returns
        -------
        outputs, states
        """
        self.reset()
        inputs, axis, F, batch_size = _format_sequence(length, inputs, layout, False)
        begin_state = _get_begin_state(self, F, begin_state, inputs, batch_size)
        states = begin_state
        outputs = []
        all_states = []
        for i in range(length):
            output, states = self(inputs[i], states)
            outputs.append(output)
            if valid_length is not None:
                all_states.append(states)
        if valid_length is not None:
            states = [_sequence_last(F, F.stack(*ele_list, axis=0), valid_length, length)
                      for ele_list in zip(*all_states)]
            outputs = _mask_sequence_variable_length(F, outputs, length, valid_length, axis,
                                                     True)
        outputs, _, _, _ = _format_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def _get_activation(self, F, inputs, activation, **kwargs):
        """Apply ``activation``: a name, a LeakyReLU block or a callable."""
        func = {'tanh': F.tanh, 'relu': F.relu, 'sigmoid': F.sigmoid,
                'softsign': F.softsign}.get(activation)
        if func:
            return func(inputs, **kwargs)
        if isinstance(activation, str):
            return F.Activation(inputs, act_type=activation, **kwargs)
        if isinstance(activation, LeakyReLU):
            return F.LeakyReLU(inputs, act_type='leaky', slope=activation._alpha, **kwargs)
        return activation(inputs, **kwargs)

    def forward(self, inputs, states):
        """One time step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A RecurrentCell that can be hybridized (write ``hybrid_forward``)."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError


class _GatedCell(HybridRecurrentCell):
    """Shared parts of RNNCell, LSTMCell and GRUCell: four parameters of
    ``gates * hidden_size`` rows, deferred ``input_size``."""
    _num_gates = 1
    _num_states = 1

    def __init__(self, hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, input_size, prefix, params):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self._num_gates * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(rows, input_size),
                                          init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(rows, hidden_size),
                                          init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(rows,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(rows,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}
                for _ in range(self._num_states)]

    def infer_shape(self, inputs, *args):
        self.i2h_weight.shape = (self._num_gates * self._hidden_size, inputs.shape[-1])

    def _mapping(self):
        shape = self.i2h_weight.shape
        return '{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0])

    def __repr__(self):
        return '{name}({mapping})'.format(name=type(self).__name__, mapping=self._mapping())


class RNNCell(_GatedCell):
    r"""Elman RNN cell: ``h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Parameters
    ----------
    hidden_size : int
    activation : str or callable, default 'tanh'
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred from the first input)
    prefix : str, default ``'rnn<n>_'``
    params : ParameterDict, optional
    """

    def __init__(self, hidden_size, activation='tanh', i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)
        self._activation = activation

    def _alias(self):
        return 'rnn'

    def __repr__(self):
        return '{name}({mapping}, {act})'.format(name=type(self).__name__,
                                                 mapping=self._mapping(), act=self._activation)

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias,
                               num_hidden=self._hidden_size, name=prefix + 'i2h')
        h2h = F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias,
                               num_hidden=self._hidden_size, name=prefix + 'h2h')
        i2h_plus_h2h = F.elemwise_add(i2h, h2h, name=prefix + 'plus0')
        output = self._get_activation(F, i2h_plus_h2h, self._activation, name=prefix + 'out')
        return output, [output]


class LSTMCell(_GatedCell):
    r"""Long short-term memory cell (gates i, f, g, o in this order):
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``; states ``[h, c]``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred from the first input)
    prefix : str, default ``'lstm<n>_'``
    params : ParameterDict, optional
    activation : str, default 'tanh'
    recurrent_activation : str, default 'sigmoid'
    """
    _num_gates = 4
    _num_states = 2

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None, activation='tanh', recurrent_activation='sigmoid'):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _alias(self):
        return 'lstm'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        nh = self._hidden_size * 4
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias,
                               num_hidden=nh, name=prefix + 'i2h')
        h2h = F.FullyConnected(data=states[0], weight=h2h_weight, bias=h2h_bias,
                               num_hidden=nh, name=prefix + 'h2h')
        gates = F.elemwise_add(i2h, h2h, name=prefix + 'plus0')
        sliced = F.SliceChannel(gates, num_outputs=4, name=prefix + 'slice')
        rec = self._recurrent_activation
        in_gate = self._get_activation(F, sliced[0], rec, name=prefix + 'i')
        forget_gate = self._get_activation(F, sliced[1], rec, name=prefix + 'f')
        in_transform = self._get_activation(F, sliced[2], self._activation, name=prefix + 'c')
        out_gate = self._get_activation(F, sliced[3], rec, name=prefix + 'o')
        next_c = F.elemwise_add(F.elemwise_mul(forget_gate, states[1], name=prefix + 'mul0'),
                                F.elemwise_mul(in_gate, in_transform, name=prefix + 'mul1'),
                                name=prefix + 'state')
        next_h = F.elemwise_mul(out_gate, F.Activation(next_c, act_type=self._activation,
                                                       name=prefix + 'activation0'),
                                name=prefix + 'out')
        return next_h, [next_h, next_c]


class GRUCell(_GatedCell):
    r"""Gated recurrent unit cell, cuDNN's variant (gates r, z, n; the reset gate
    multiplies ``W_hn h + b_hn``): ``h_t = (1 - z) * n + z * h_{t-1}``.

    Parameters
    ----------
    hidden_size : int
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    input_size : int, default 0 (inferred from the first input)
    prefix : str, default ``'gru<n>_'``
    params : ParameterDict, optional
    """
    _num_gates = 3

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer,
                         i2h_bias_initializer, h2h_bias_initializer, input_size, prefix,
                         params)

    def _alias(self):
        return 'gru'

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = 't%d_' % self._counter
        prev_h = states[0]
        nh = self._hidden_size * 3
        i2h = F.FullyConnected(data=inputs, weight=i2h_weight, bias=i2h_bias, num_hidden=nh,
                               name=prefix + 'i2h')
        h2h = F.FullyConnected(data=prev_h, weight=h2h_weight, bias=h2h_bias, num_hidden=nh,
                               name=prefix + 'h2h')
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3, name=prefix + 'i2h_slice')
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3, name=prefix + 'h2h_slice')
        reset_gate = F.Activation(F.elemwise_add(i2h_r, h2h_r, name=prefix + 'plus0'),
                                  act_type='sigmoid', name=prefix + 'r_act')
        update_gate = F.Activation(F.elemwise_add(i2h_z, h2h_z, name=prefix + 'plus1'),
                                   act_type='sigmoid', name=prefix + 'z_act')
        next_h_tmp = F.Activation(
            F.elemwise_add(i2h, F.elemwise_mul(reset_gate, h2h, name=prefix + 'mul0'),
                           name=prefix + 'plus2'),
            act_type='tanh', name=prefix + 'h_act')
        ones = F.ones_like(update_gate, name=prefix + 'ones_like0')
        next_h = F.elemwise_add(
            F.elemwise_mul(F.elemwise_sub(ones, update_gate, name=prefix + 'minus0'),
                           next_h_tmp, name=prefix + 'mul1'),
            F.elemwise_mul(update_gate, prev_h, name=prefix + 'mul20'),
            name=prefix + 'out')
        return next_h, [next_h]


from .rnn_containers import (SequentialRNNCell, HybridSequentialRNNCell,  # noqa: E402
                             DropoutCell, ModifierCell, ZoneoutCell, ResidualCell,
                             BidirectionalCell)
