"""Fused recurrent layers, as MXNet 1.x ``gluon.rnn``: ``RNN``, ``LSTM`` and ``GRU`` run
a whole sequence through the ``RNN`` operator of the table.

Each layer ``i`` and direction (``l`` forward, ``r`` reverse) owns four Parameters named
``<prefix>l0_i2h_weight``, ``..._h2h_weight``, ``..._i2h_bias``, ``..._h2h_bias`` (plus
``..._h2r_weight`` for an LSTM projection); they are packed by ``_rnn_param_concat`` into
the operator's flat parameter vector on every call. ``save_parameters`` keys them as
MXNet does (``_unfused.0.i2h_weight``, ``_unfused.0.l_cell.i2h_weight`` when
bidirectional), so files move between MXNet and distgluon.
"""
import re

from ... import ndarray
from ...base import MXNetError
from ..block import HybridBlock
from ..parameter import tensor_types
from . import rnn_cell

__all__ = ['RNN', 'LSTM', 'GRU']

_KEY = re.compile(r'(l|r)(\d)_(i2h|h2h|h2r)_(weight|bias)\Z')


class _RNNLayer(HybridBlock):
    """Implementation of the recurrent layers (see `RNN`, `LSTM`, `GRU`)."""

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size, h2r_weight_initializer,
                 lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan, dtype,
                 use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        if layout not in ('TNC', 'NTC'):
            raise AssertionError("Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._gates = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}[mode]

        ng, ni, nh = self._gates, input_size, hidden_size
        nr = self._projection_size or nh        # size of the recurrent state
        for i in range(num_layers):
            for j in ['l', 'r'][:self._dir]:
                self._register_param('{}{}_i2h_weight'.format(j, i), (ng * nh, ni),
                                     i2h_weight_initializer, dtype)
                self._register_param('{}{}_h2h_weight'.format(j, i), (ng * nh, nr),
                                     h2h_weight_initializer, dtype)
                self._register_param('{}{}_i2h_bias'.format(j, i), (ng * nh,),
                                     i2h_bias_initializer, dtype)
                self._register_param('{}{}_h2h_bias'.format(j, i), (ng * nh,),
                                     h2h_bias_initializer, dtype)
                if self._projection_size:
                    self._register_param('{}{}_h2r_weight'.format(j, i), (nr, nh),
                                         h2r_weight_initializer, dtype)
            ni = nr * self._dir

    def _register_param(self, name, shape, init, dtype):
        p = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                            dtype=dtype)
        setattr(self, name, p)
        return p

    def __repr__(self):
        s = '{name}({mapping}, {layout}'
        if self._num_layers != 1:
            s += ', num_layers={num_layers}'
        if self._dropout != 0:
            s += ', dropout={dropout}'
        if self._dir == 2:
            s += ', bidirectional'
        s += ')'
        shape = self.l0_i2h_weight.shape
        mapping = '{0} -> {1}'.format(shape[1] if shape[1] else None, shape[0] // self._gates)
        return s.format(name=type(self).__name__, mapping=mapping, layout=self._layout,
                        num_layers=self._num_layers, dropout=self._dropout)

    def _collect_params_with_prefix(self, prefix=''):
        """Structural names as MXNet saves them (``_unfused.0.i2h_weight``, or
        ``_unfused.0.l_cell.i2h_weight`` when bidirectional)."""
        if prefix:
            prefix += '.'
        bidirectional = any(_KEY.match(k).group(1) == 'r' for k in self._reg_params)

        def convert_key(key):
            d, layer, g, t = _KEY.match(key).groups()
            if bidirectional:
                return '_unfused.{}.{}_cell.{}_{}'.format(layer, d, g, t)
            return '_unfused.{}.{}_{}'.format(layer, g, t)
        ret = {prefix + convert_key(key): val for key, val in self._reg_params.items()}
        for name, child in self._children.items():
            ret.update(child._collect_params_with_prefix(prefix + name))
        return ret

    def state_info(self, batch_size=0):
        raise NotImplementedError

    def _unfuse(self):
        """The same network as a stack of cells sharing this layer's Parameters."""
        if self._projection_size:
            raise AssertionError('_unfuse does not support projection layer yet!')
        if self._lstm_state_clip_min or self._lstm_state_clip_max:
            raise AssertionError('_unfuse does not support state clipping yet!')
        make = {'rnn_relu': lambda **kw: rnn_cell.RNNCell(self._hidden_size,
                                                          activation='relu', **kw),
                'rnn_tanh': lambda **kw: rnn_cell.RNNCell(self._hidden_size,
                                                          activation='tanh', **kw),
                'lstm': lambda **kw: rnn_cell.LSTMCell(self._hidden_size, **kw),
                'gru': lambda **kw: rnn_cell.GRUCell(self._hidden_size, **kw)}[self._mode]
        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        with stack.name_scope():
            ni = self._input_size
            for i in range(self._num_layers):
                kwargs = {'input_size': ni,
                          'i2h_weight_initializer': self._i2h_weight_initializer,
                          'h2h_weight_initializer': self._h2h_weight_initializer,
                          'i2h_bias_initializer': self._i2h_bias_initializer,
                          'h2h_bias_initializer': self._h2h_bias_initializer}
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(make(prefix='l%d_' % i, **kwargs),
                                                         make(prefix='r%d_' % i, **kwargs)))
                else:
                    stack.add(make(prefix='l%d_' % i, **kwargs))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                ni = self._hidden_size * self._dir
        return stack

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """Initial states, ``func(name='<prefix>h0_<i>', shape=..., **kwargs)`` each:
        ``[h]`` or, for LSTM, ``[h, c]``, shaped (num_layers * directions, N, size)."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            if info is not None:
                info.update(kwargs)
            else:
                info = kwargs
            states.append(func(name='%sh0_%d' % (self.prefix, i), **info))
        return states

    def infer_shape(self, inputs, *args):
        """The first layer's input size comes from the data's last axis (the states'
        shapes are checked here too, as MXNet's shape inference does)."""
        states = args[0] if args else []
        batch_size = inputs.shape[self._layout.find('N')]
        for state, info in zip(states, self.state_info(batch_size)):
            if tuple(state.shape) != info['shape']:
                raise MXNetError(     # MXNet's text repeats its class name
                    'MXNetError: Error in operator %srnn0: Shape inconsistent, Provided = '
                    '[%s], inferred shape=(%s)' % (self.prefix, ','.join(str(d) for d in state.shape),
                                    ','.join(str(d) for d in info['shape'])))
        for j in ['l', 'r'][:self._dir]:
            weight = getattr(self, '{}0_i2h_weight'.format(j))
            weight.shape = (self._gates * self._hidden_size, inputs.shape[-1])

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """Run the layer; returns ``output`` alone when ``states`` is None, else
        ``(output, new_states)``."""
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, ndarray.NDArray):
                batch_size = inputs.shape[self._layout.find('N')]
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:
                states = self.begin_state(0, func=rnn_cell._symbol_zeros)
        if isinstance(states, tensor_types):
            states = [states]
        if self._use_sequence_length:
            return super().__call__(inputs, states, sequence_length, **kwargs)
        return super().__call__(inputs, states, **kwargs)

    def hybrid_forward(self, F, inputs, states, sequence_length=None, **kwargs):
        if F is ndarray:
            batch_size = inputs.shape[self._layout.find('N')]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info['shape']:
                    raise ValueError('Invalid recurrent state shape. Expecting %s, got %s.' % (
                        str(info['shape']), str(state.shape)))
        out = self._forward_kernel(F, inputs, states, sequence_length, **kwargs)
        return out[0] if self.skip_states else out

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        if self._layout == 'NTC':
            inputs = F.swapaxes(inputs, 0, 1)
        groups = ['i2h', 'h2h'] + (['h2r'] if self._projection_size else [])
        params = [kwargs['{}{}_{}_{}'.format(d, i, g, t)].reshape(-1)
                  for t in ['weight', 'bias']
                  for i in range(self._num_layers)
                  for d in ['l', 'r'][:self._dir]
                  for g in groups
                  if g != 'h2r' or t != 'bias']
        params = F._internal._rnn_param_concat(*params, dim=0)
        rnn_args = list(states)
        if self._use_sequence_length:
            rnn_args.append(sequence_length)
        attrs = dict(use_sequence_length=self._use_sequence_length,
                     state_size=self._hidden_size, projection_size=self._projection_size,
                     num_layers=self._num_layers, bidirectional=self._dir == 2,
                     p=self._dropout, state_outputs=True, mode=self._mode,
                     lstm_state_clip_min=self._lstm_state_clip_min,
                     lstm_state_clip_max=self._lstm_state_clip_max,
                     lstm_state_clip_nan=self._lstm_state_clip_nan)
        if F is ndarray:
            rnn = F.RNN(inputs, params, *rnn_args, **attrs)
        else:   # by name: a GRU's sequence_length is not the state_cell slot
            names = ['state', 'state_cell'][:len(states)]
            if self._use_sequence_length:
                names.append('sequence_length')
            rnn = F.RNN(inputs, params, **dict(zip(names, rnn_args)), **attrs)
        if self._mode == 'lstm':
            outputs, states = rnn[0], [rnn[1], rnn[2]]
        else:
            outputs, states = rnn[0], [rnn[1]]
        if self._layout == 'NTC':
            outputs = F.swapaxes(outputs, 0, 1)
        return outputs, states


_DOC_PARAMS = """
    Parameters
    ----------
    hidden_size : int
        Number of features in the hidden state.
    num_layers : int, default 1
    layout : {'TNC', 'NTC'}, default 'TNC'
        Layout of the input and output (T time, N batch, C features).
    dropout : float, default 0
        Dropout on the outputs of every layer but the last (training only).
    bidirectional : bool, default False
    input_size : int, default 0
        Input features; 0 infers them at the first forward pass.
    i2h_weight_initializer, h2h_weight_initializer : str or Initializer
    i2h_bias_initializer, h2h_bias_initializer : str or Initializer, default 'zeros'
    dtype : str, default 'float32'
    prefix : str, optional
    params : ParameterDict, optional

    Calling it: ``layer(data)`` returns the output, (T, N, D*hidden) in 'TNC';
    ``layer(data, states)`` returns ``(output, new_states)``; states are shaped
    (num_layers * D, N, hidden) with D = 2 when bidirectional.
"""


class RNN(_RNNLayer):
    __doc__ = """Multi-layer Elman RNN with ``tanh`` or ``relu`` activation:
    ``h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    >>> layer = mx.gluon.rnn.RNN(100, 3)
    >>> layer.initialize()
    >>> output = layer(mx.nd.random.uniform(shape=(5, 3, 10)))
    """ + _DOC_PARAMS + """
    activation : {'relu', 'tanh'}, default 'relu'
    """

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC', dropout=0,
                 bidirectional=False, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0,
                 dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'rnn_' + activation, None, None, None, None,
                         False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype}]


class LSTM(_RNNLayer):
    __doc__ = """Multi-layer long short-term memory RNN (gates i, f, g, o); states
    ``[h, c]``.

    >>> layer = mx.gluon.rnn.LSTM(100, 3)
    >>> layer.initialize()
    >>> h0 = mx.nd.zeros((3, 3, 100)); c0 = mx.nd.zeros((3, 3, 100))
    >>> output, (hn, cn) = layer(mx.nd.random.uniform(shape=(5, 3, 10)), [h0, c0])
    """ + _DOC_PARAMS + """
    projection_size : int, optional
        Project the hidden state to this size (``r_t = W_hr h_t``) before feeding it back.
    h2r_weight_initializer : str or Initializer, optional
    state_clip_min, state_clip_max : float, optional
        Clip the cell state to this range after every step (both or neither).
    state_clip_nan : bool, default False
        Turn NaN cell states into ``state_clip_min``.

    Notes
    -----
    MXNet 1.9.1's CPU kernel ignores the state clipping and cannot train with a
    projection; distgluon does both (see the ``RNN`` operator).
    """

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 projection_size=None, h2r_weight_initializer=None, state_clip_min=None,
                 state_clip_max=None, state_clip_nan=False, dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'lstm', projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        n = self._num_layers * self._dir
        return [{'shape': (n, batch_size, self._projection_size or self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype},
                {'shape': (n, batch_size, self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype}]


class GRU(_RNNLayer):
    __doc__ = """Multi-layer gated recurrent unit RNN, cuDNN's variant (gates r, z, n; the
    reset gate multiplies ``W_hn h + b_hn``).

    >>> layer = mx.gluon.rnn.GRU(100, 3)
    >>> layer.initialize()
    >>> output, hn = layer(mx.nd.random.uniform(shape=(5, 3, 10)), mx.nd.zeros((3, 3, 100)))
    """ + _DOC_PARAMS

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', dtype='float32',
                 **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, 'gru', None, None, None, None, False, dtype,
                         **kwargs)

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dir, batch_size, self._hidden_size),
                 '__layout__': 'LNC', 'dtype': self._dtype}]
