"""The fused recurrent operator ``RNN`` (vanilla ReLU/tanh RNN, LSTM, GRU; stacked,
bidirectional, LSTM projection) and ``_rnn_param_concat``, which packs Gluon's separate
weights into the one flat ``parameters`` vector ``RNN`` takes.

Packed parameter layout (MXNet's and cuDNN's): first every weight, then every bias.
Weights run over layers, then directions (left-to-right ``l``, then reverse ``r``),
each as ``i2h`` ``(G*H, in)``, ``h2h`` ``(G*H, O)`` and, with a projection, ``h2r``
``(P, H)``; biases run the same way as ``i2h`` ``(G*H,)``, ``h2h`` ``(G*H,)``. ``G`` is
the number of gates (1, 4 for LSTM in order i, f, g, o, 3 for GRU in order r, z, n),
``H`` is ``state_size``, ``P`` is ``projection_size`` and ``O = P or H`` the size of the
recurrent state fed back (a layer's input after the first is ``D*O`` wide).

The forward pass loops over time steps (the gate matmuls of the input are batched over
all steps at once); backward is backpropagation through time over the activations the
forward pass keeps in one hidden workspace output (as cuDNN's reserve space).
"""
import numpy as np

from .registry import Op, Attr, register, Sample
from .shape_join import Concat
from ..base import MXNetError

__all__ = []

_GATES = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _rng():
    from ..random import get_rng
    return get_rng()


def _training():
    from .. import autograd
    return autograd.is_training()


# ------------------------------------------------------------------ geometry
class _Geometry:
    """Sizes of one RNN call: T, N, I (input), H, P, O, L, D, G."""

    def __init__(self, a, dshape):
        if len(dshape) != 3:
            raise MXNetError('RNN: data must be 3-D (seq_length, batch, input_size), got shape '
                             '{}'.format(tuple(dshape)))
        self.T, self.N, self.I = (int(d) for d in dshape)
        self.H, self.L = a.state_size, a.num_layers
        self.D = 2 if a.bidirectional else 1
        self.G = _GATES[a.mode]
        self.P = a.projection_size or None
        if self.P is not None and a.mode != 'lstm':
            raise MXNetError('RNN: projection_size is only supported for mode=lstm, got '
                             'mode={}'.format(a.mode))
        self.O = self.P or self.H

    def layer_input(self, layer):
        return self.I if layer == 0 else self.D * self.O

    def weight_shapes(self, layer):
        """[(name, shape)] of one direction's weights in the packed order."""
        gh = self.G * self.H
        out = [('i2h', (gh, self.layer_input(layer))), ('h2h', (gh, self.O))]
        if self.P is not None:
            out.append(('h2r', (self.P, self.H)))
        return out

    def param_size(self):
        gh = self.G * self.H
        size = 0
        for layer in range(self.L):
            for _, shape in self.weight_shapes(layer):
                size += self.D * shape[0] * shape[1]
            size += self.D * 2 * gh
        return size

    def state_shapes(self):
        """Shapes of (state, state_cell)."""
        return (self.L * self.D, self.N, self.O), (self.L * self.D, self.N, self.H)

    def unpack(self, params):
        """{(layer, direction): {'i2h', 'h2h', ['h2r'], 'bi', 'bh'}} as views of
        ``params``."""
        out, pos = {}, 0
        for layer in range(self.L):
            for d in range(self.D):
                w = out.setdefault((layer, d), {})
                for name, shape in self.weight_shapes(layer):
                    n = shape[0] * shape[1]
                    w[name] = params[pos:pos + n].reshape(shape)
                    pos += n
        gh = self.G * self.H
        for layer in range(self.L):
            for d in range(self.D):
                out[(layer, d)]['bi'] = params[pos:pos + gh]
                out[(layer, d)]['bh'] = params[pos + gh:pos + 2 * gh]
                pos += 2 * gh
        return out

    def workspace_plan(self, a):
        """[(key, shape)] of the arrays forward keeps for backward, in workspace order."""
        T, N, H, D, O = self.T, self.N, self.H, self.D, self.O
        plan = []
        for layer in range(self.L):
            if layer > 0 and a.p > 0:
                plan.append((('mask', layer), (T, N, D * O)))
            plan.append((('seq', layer), (T, N, D * O)))     # state after each step
            for d in range(D):
                if a.mode == 'lstm':
                    plan.append((('gates', layer, d), (T, N, 4 * H)))
                    plan.append((('c', layer, d), (T, N, H)))       # cell after each step
                    if _clipping(a):
                        plan.append((('cpre', layer, d), (T, N, H)))    # before clipping
                    if self.P is not None:
                        plan.append((('h', layer, d), (T, N, H)))
                elif a.mode == 'gru':
                    plan.append((('gates', layer, d), (T, N, 3 * H)))
                    plan.append((('ghn', layer, d), (T, N, H)))
        return plan


def _carve(buf, plan):
    """Views of ``buf`` for every (key, shape) of ``plan``, one after the other."""
    views, pos = {}, 0
    for key, shape in plan:
        n = int(np.prod(shape))
        views[key] = buf[pos:pos + n].reshape(shape)
        pos += n
    return views


def _plan_size(plan):
    return sum(int(np.prod(s)) for _, s in plan)


def _step_masks(a, geo, xs, dtype):
    """(T, N, 1) mask of valid steps with use_sequence_length, else None."""
    if not a.use_sequence_length:
        return None
    lengths = np.trunc(np.asarray(xs[-1], dtype=np.float64)).reshape(-1)
    if lengths.shape != (geo.N,):
        raise MXNetError('RNN: sequence_length must have shape ({},) (one length per batch '
                         'item), got {}'.format(geo.N, xs[-1].shape))
    return (np.arange(geo.T)[:, None] < lengths[None, :]).astype(dtype)[:, :, None]


def _clipping(a):
    return a.lstm_state_clip_min is not None and a.lstm_state_clip_max is not None


def _clip(a, c):
    if not _clipping(a):
        return c
    lo, hi = c.dtype.type(a.lstm_state_clip_min), c.dtype.type(a.lstm_state_clip_max)
    if a.lstm_state_clip_nan:
        c = np.where(np.isnan(c), lo, c)
    return np.clip(c, lo, hi)


# ------------------------------------------------------------------ the operator
@register
class RNN(Op):
    """Recurrent layers over a whole sequence: ``mode`` rnn_relu, rnn_tanh, lstm or gru,
    ``num_layers`` stacked, optionally ``bidirectional``.

    Inputs are ``data`` (T, N, I), the packed ``parameters`` (see the module docstring),
    the initial ``state`` (L*D, N, O), for LSTM ``state_cell`` (L*D, N, H), and with
    ``use_sequence_length=True`` the ``sequence_length`` (N,) of each batch item. Returns
    the output (T, N, D*O) and, with ``state_outputs=True``, the final state (and cell).
    ``p`` is the dropout rate on the outputs of every layer but the last (training only).

    Notes
    -----
    MXNet 1.9.1's CPU kernel silently ignores ``sequence_length`` and the LSTM state
    clipping (``lstm_state_clip_min/max/nan``), which only its cuDNN kernel implements.
    distgluon implements both as the cuDNN kernel documents them: each batch item runs
    over its own first ``sequence_length`` steps (the reverse direction starts at its last
    valid step), outputs beyond it are 0 and the final states are those of its last valid
    step; the cell state is clipped to [min, max] after every step (NaN becomes ``min``
    with ``lstm_state_clip_nan``), and no gradient flows through clipped values.
    """
    name = 'RNN'
    inputs = ('data', 'parameters', 'state', 'state_cell', 'sequence_length')
    attrs = {'state_size': Attr('int'), 'num_layers': Attr('int'),
             'bidirectional': Attr('bool', False),
             'mode': Attr('str', choices=('gru', 'lstm', 'rnn_relu', 'rnn_tanh')),
             'p': Attr('float', 0.0), 'state_outputs': Attr('bool', False),
             'projection_size': Attr('int_or_none', None),
             'lstm_state_clip_min': Attr('float_or_none', None),
             'lstm_state_clip_max': Attr('float_or_none', None),
             'lstm_state_clip_nan': Attr('bool', False),
             'use_sequence_length': Attr('bool', False)}
    same_dtype = False      # sequence_length may be an integer array
    accepts_need = True     # backward skips the data gradient when nothing needs it
    stateful = True         # dropout between layers draws from the context's generator

    def input_names(self, a, num_given=None):
        names = ['data', 'parameters', 'state']
        if a.mode == 'lstm':
            names.append('state_cell')
        if a.use_sequence_length:
            names.append('sequence_length')
        return names

    def num_visible(self, a):
        if not a.state_outputs:
            return 1
        return 3 if a.mode == 'lstm' else 2

    def num_outputs(self, a):
        return self.num_visible(a) + 1      # + the workspace kept for backward

    def output_names(self, a):
        return ['output', 'state_output', 'statecell_output'][:self.num_visible(a)]

    # ------------------------------------------------------------ checks and shapes
    def _check(self, a, xs):
        names = self.input_names(a)
        if len(xs) != len(names):
            raise MXNetError('Operator RNN expects {} inputs ({}), but got {} instead'.format(
                len(names), ', '.join(names), len(xs)))
        geo = _Geometry(a, xs[0].shape)
        hs, cs = geo.state_shapes()
        want = {'parameters': (geo.param_size(),), 'state': hs, 'state_cell': cs,
                'sequence_length': (geo.N,)}
        for name, x in zip(names[1:], xs[1:]):
            shape = want[name]
            if tuple(x.shape) != shape:
                raise MXNetError('RNN: Shape inconsistent, Provided = {} for {}, inferred '
                                 'shape={}'.format(list(x.shape), name, shape))
        dtype = xs[0].dtype
        for name, x in zip(names[1:], xs[1:len(names) - (1 if a.use_sequence_length else 0)]):
            if x.dtype != dtype:
                raise MXNetError('RNN: {} has dtype {} but data has dtype {}; cast one with '
                                 'astype() first'.format(name, x.dtype, dtype))
        return geo

    def infer_shape(self, a, in_shapes):
        in_shapes = list(in_shapes)
        dshape = in_shapes[0] if in_shapes else None
        if dshape is None or len(dshape) != 3 or 0 in dshape:
            raise MXNetError('RNN: cannot infer shapes without the data shape (T, N, I), got '
                             '{}'.format(dshape))
        geo = _Geometry(a, dshape)
        names = self.input_names(a)
        full = [tuple(dshape), (geo.param_size(),)] + list(geo.state_shapes())[:
                                                                 1 + (a.mode == 'lstm')]
        if a.use_sequence_length:
            full.append((geo.N,))
        for i, (given, want) in enumerate(zip(in_shapes, full)):
            if given is not None and len(given) and 0 not in given and tuple(given) != want:
                raise MXNetError('RNN: Shape inconsistent, Provided = {} for {}, inferred '
                                 'shape={}'.format(list(given), names[i], want))
        outs = [(geo.T, geo.N, geo.D * geo.O)] + list(geo.state_shapes())
        return full, outs[:self.num_visible(a)]

    # ------------------------------------------------------------ forward
    def forward(self, xp, a, *xs):
        geo = self._check(a, xs)
        x = xs[0]
        dtype = x.dtype
        W = geo.unpack(xs[1])
        h0 = xs[2]
        c0 = xs[3] if a.mode == 'lstm' else None
        m = _step_masks(a, geo, xs, dtype)
        plan = geo.workspace_plan(a)
        ws = np.empty(_plan_size(plan), dtype=dtype)
        V = _carve(ws, plan)
        hy = np.empty(geo.state_shapes()[0], dtype=dtype)
        cy = np.empty(geo.state_shapes()[1], dtype=dtype) if c0 is not None else None
        train = _training()
        inp = x
        for layer in range(geo.L):
            if layer > 0 and a.p > 0:
                mask = V[('mask', layer)]
                if train:
                    keep = _rng().random(size=mask.shape) >= a.p
                    mask[...] = keep * (np.float64(1) / np.float64(1 - a.p))
                else:
                    mask[...] = 1
                inp = inp * mask
            seq = V[('seq', layer)]
            for d in range(geo.D):
                k = layer * geo.D + d
                h, c = _run_direction(a, geo, W[(layer, d)], inp, h0[k],
                                      None if c0 is None else c0[k], d, m, V, layer)
                hy[k] = h
                if cy is not None:
                    cy[k] = c
            inp = seq if m is None else seq * m
        out = inp.copy() if m is None else inp
        outs = [out, hy, cy][:self.num_visible(a)]
        return tuple(outs) + (ws,)

    # ------------------------------------------------------------ backward
    def backward(self, xp, a, xs, ys, dys, need=None):
        geo = _Geometry(a, xs[0].shape)
        x, params = xs[0], xs[1]
        dtype = x.dtype
        W = geo.unpack(params)
        dparams = np.zeros_like(params)
        dW = geo.unpack(dparams)        # views: filling them fills dparams
        want_dx = need is None or need[0]
        h0 = xs[2]
        c0 = xs[3] if a.mode == 'lstm' else None
        m = _step_masks(a, geo, xs, dtype)
        V = _carve(ys[-1], geo.workspace_plan(a))
        nvis = self.num_visible(a)
        dhy = dys[1] if nvis > 1 else np.zeros(geo.state_shapes()[0], dtype)
        dcy = dys[2] if nvis > 2 else (np.zeros(geo.state_shapes()[1], dtype)
                                       if c0 is not None else None)
        dh0 = np.empty_like(h0)
        dc0 = np.empty_like(c0) if c0 is not None else None
        dseq = dys[0] if m is None else dys[0] * m
        for layer in reversed(range(geo.L)):
            if layer == 0:
                inp = x
            else:
                below = V[('seq', layer - 1)]
                inp = below if m is None else below * m
                if a.p > 0:
                    inp = inp * V[('mask', layer)]
            dinp = np.zeros_like(inp) if layer > 0 or want_dx else None
            for d in range(geo.D):
                k = layer * geo.D + d
                dh, dc = _back_direction(
                    a, geo, W[(layer, d)], dW[(layer, d)], inp, dinp, h0[k],
                    None if c0 is None else c0[k], d, m, V, layer,
                    dseq[:, :, d * geo.O:(d + 1) * geo.O], dhy[k],
                    None if dcy is None else dcy[k])
                dh0[k] = dh
                if dc0 is not None:
                    dc0[k] = dc
            if layer > 0:
                dseq = dinp * V[('mask', layer)] if a.p > 0 else dinp
                if m is not None:
                    dseq = dseq * m
            else:
                dx = dinp
        grads = [dx, dparams, dh0]
        if c0 is not None:
            grads.append(dc0)
        if a.use_sequence_length:
            grads.append(None)
        return tuple(grads)


def _steps(geo, d):
    return range(geo.T) if d == 0 else range(geo.T - 1, -1, -1)


def _run_direction(a, geo, w, inp, h, c, d, m, V, layer):
    """Run one direction of one layer; fill the workspace; return the final (h, c)."""
    O = geo.O
    seq = V[('seq', layer)][:, :, d * O:(d + 1) * O]
    gx = (inp.reshape(-1, inp.shape[-1]) @ w['i2h'].T).reshape(geo.T, geo.N, -1)
    gx += w['bi']
    if a.mode != 'gru':
        gx += w['bh']
    h = h.copy()
    c = None if c is None else c.copy()
    for t in _steps(geo, d):
        gh = h @ w['h2h'].T
        if a.mode == 'lstm':
            pre = gx[t] + gh
            gates = V[('gates', layer, d)][t]
            H = geo.H
            gates[:, :2 * H] = _sigmoid(pre[:, :2 * H])
            gates[:, 2 * H:3 * H] = np.tanh(pre[:, 2 * H:3 * H])
            gates[:, 3 * H:] = _sigmoid(pre[:, 3 * H:])
            i, f, g, o = (gates[:, j * H:(j + 1) * H] for j in range(4))
            cpre = f * c + i * g
            if _clipping(a):
                V[('cpre', layer, d)][t] = cpre
            c_new = _clip(a, cpre)
            hraw = o * np.tanh(c_new)
            if geo.P is not None:
                V[('h', layer, d)][t] = hraw
                h_new = hraw @ w['h2r'].T
            else:
                h_new = hraw
            if m is not None:
                c_new = np.where(m[t] > 0, c_new, c)
            V[('c', layer, d)][t] = c_new
            c = c_new
        elif a.mode == 'gru':
            H = geo.H
            gh += w['bh']
            gates = V[('gates', layer, d)][t]
            gates[:, :2 * H] = _sigmoid(gx[t, :, :2 * H] + gh[:, :2 * H])
            r, z = gates[:, :H], gates[:, H:2 * H]
            V[('ghn', layer, d)][t] = gh[:, 2 * H:]
            n = np.tanh(gx[t, :, 2 * H:] + r * gh[:, 2 * H:])
            gates[:, 2 * H:] = n
            h_new = (1 - z) * n + z * h
        else:
            pre = gx[t] + gh
            h_new = np.maximum(pre, 0) if a.mode == 'rnn_relu' else np.tanh(pre)
        if m is not None:
            h_new = np.where(m[t] > 0, h_new, h)
        seq[t] = h_new
        h = h_new
    return h, c


def _back_direction(a, geo, w, dw, inp, dinp, h0, c0, d, m, V, layer, dseq, dh, dc):
    """BPTT through one direction of one layer: accumulate into ``dw`` and ``dinp``;
    return the gradients of the initial (h, c)."""
    O, H, T = geo.O, geo.H, geo.T
    seq = V[('seq', layer)][:, :, d * O:(d + 1) * O]
    # state before each step (in processing order)
    prev = np.empty_like(seq)
    if d == 0:
        prev[0] = h0
        prev[1:] = seq[:-1]
    else:
        prev[-1] = h0
        prev[:-1] = seq[1:]
    gdim = geo.G * H
    dgx = np.empty(seq.shape[:2] + (gdim,), dtype=seq.dtype)     # d(pre-activation), i2h
    dgh = np.empty_like(dgx) if a.mode == 'gru' else dgx          # same, h2h side
    dr_seq = np.empty_like(seq) if geo.P is not None else None
    dh = dh.copy()
    if a.mode == 'lstm':
        C = V[('c', layer, d)]
        cprev = np.empty_like(C)
        if d == 0:
            cprev[0] = c0
            cprev[1:] = C[:-1]
        else:
            cprev[-1] = c0
            cprev[:-1] = C[1:]
        dc = dc.copy()
    for t in reversed(list(_steps(geo, d))):
        dh_t = dh + dseq[t]
        if m is not None:
            keep = m[t]
            dh_skip = dh_t * (1 - keep)
            dh_t = dh_t * keep
        if a.mode == 'lstm':
            if m is not None:
                dc_skip = dc * (1 - keep)
                dc = dc * keep
            gates = V[('gates', layer, d)][t]
            i, f, g, o = (gates[:, j * H:(j + 1) * H] for j in range(4))
            if geo.P is not None:
                dr_seq[t] = dh_t
                dh_t = dh_t @ w['h2r']
            c = C[t]
            tc = np.tanh(c)
            dc_t = dc + dh_t * o * (1 - tc * tc)
            if _clipping(a):
                cpre = V[('cpre', layer, d)][t]
                dc_t = dc_t * ((cpre >= a.lstm_state_clip_min) &
                               (cpre <= a.lstm_state_clip_max))
            dpre = dgx[t]
            dpre[:, :H] = dc_t * g * i * (1 - i)
            dpre[:, H:2 * H] = dc_t * cprev[t] * f * (1 - f)
            dpre[:, 2 * H:3 * H] = dc_t * i * (1 - g * g)
            dpre[:, 3 * H:] = dh_t * tc * o * (1 - o)
            dc = dc_t * f
            if m is not None:
                dc = dc + dc_skip
            dh = dpre @ w['h2h']
        elif a.mode == 'gru':
            gates = V[('gates', layer, d)][t]
            r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
            hp = prev[t]
            dn = dh_t * (1 - z) * (1 - n * n)
            dz = dh_t * (hp - n) * z * (1 - z)
            dr = dn * V[('ghn', layer, d)][t] * r * (1 - r)
            dgx[t, :, :H] = dr
            dgx[t, :, H:2 * H] = dz
            dgx[t, :, 2 * H:] = dn
            dgh[t, :, :2 * H] = dgx[t, :, :2 * H]
            dgh[t, :, 2 * H:] = dn * r
            dh = dgh[t] @ w['h2h'] + dh_t * z
        else:
            y = seq[t]
            dpre = dgx[t]
            if a.mode == 'rnn_relu':
                np.multiply(dh_t, y > 0, out=dpre)
            else:
                np.multiply(dh_t, 1 - y * y, out=dpre)
            dh = dpre @ w['h2h']
        if m is not None:
            dh = dh + dh_skip
    flat = dgx.reshape(-1, gdim)
    dw['i2h'] += flat.T @ inp.reshape(-1, inp.shape[-1])
    dw['bi'] += flat.sum(axis=0)
    flat_h = dgh.reshape(-1, gdim)
    dw['h2h'] += flat_h.T @ prev.reshape(-1, O)
    dw['bh'] += flat_h.sum(axis=0)
    if geo.P is not None:
        dw['h2r'] += dr_seq.reshape(-1, geo.P).T @ V[('h', layer, d)].reshape(-1, H)
    if dinp is not None:
        dinp += (flat @ w['i2h']).reshape(dinp.shape)
    return dh, (dc if a.mode == 'lstm' else None)


def _rnn_sample(T, N, I, attrs, lengths=None, scale=0.6):
    """A gradient-check Sample of RNN: inputs sized from ``attrs``."""
    full = RNN().parse(dict(attrs))
    geo = _Geometry(full, (T, N, I))
    hs, cs = geo.state_shapes()
    shapes = [(T, N, I), (geo.param_size(),), hs] + ([cs] if full.mode == 'lstm' else [])

    def make(rng):
        xs = [rng.uniform(-1, 1, size=s) for s in shapes]
        xs[1] *= scale
        if lengths is not None:
            xs.append(np.array(lengths, dtype=np.float64))
        return xs
    wrt = tuple(range(len(shapes))) if lengths is not None else None
    return Sample(*shapes, attrs=attrs, make=make, wrt=wrt)


RNN.samples = (
    _rnn_sample(3, 2, 3, {'state_size': 2, 'num_layers': 1, 'mode': 'lstm'}),
    _rnn_sample(3, 2, 2, {'state_size': 2, 'num_layers': 2, 'mode': 'lstm',
                          'bidirectional': True, 'state_outputs': True}),
    _rnn_sample(3, 2, 2, {'state_size': 2, 'num_layers': 2, 'mode': 'gru',
                          'bidirectional': True, 'state_outputs': True}),
    _rnn_sample(4, 2, 3, {'state_size': 3, 'num_layers': 1, 'mode': 'gru'}),
    _rnn_sample(3, 2, 2, {'state_size': 2, 'num_layers': 2, 'mode': 'rnn_tanh',
                          'bidirectional': True, 'state_outputs': True}),
    _rnn_sample(3, 3, 2, {'state_size': 3, 'num_layers': 1, 'mode': 'rnn_relu',
                          'state_outputs': True}),
    _rnn_sample(3, 2, 2, {'state_size': 3, 'num_layers': 2, 'mode': 'lstm',
                          'projection_size': 2, 'bidirectional': True,
                          'state_outputs': True}),
    _rnn_sample(3, 2, 2, {'state_size': 2, 'num_layers': 1, 'mode': 'lstm',
                          'state_outputs': True, 'lstm_state_clip_min': -0.3,
                          'lstm_state_clip_max': 0.3}, scale=1.5),
    _rnn_sample(4, 3, 2, {'state_size': 2, 'num_layers': 1, 'mode': 'lstm',
                          'bidirectional': True, 'state_outputs': True,
                          'use_sequence_length': True}, lengths=[4, 2, 1]),
    _rnn_sample(4, 3, 2, {'state_size': 2, 'num_layers': 2, 'mode': 'gru',
                          'bidirectional': True, 'state_outputs': True,
                          'use_sequence_length': True}, lengths=[1, 4, 3]),
)


@register
class RNNParamConcat(Concat):
    """Join Gluon's separate RNN weights into the packed ``parameters`` vector of `RNN`
    (Concat with MXNet's own name, as exported RNN layers contain it)."""
    name = '_rnn_param_concat'
    aliases = ()
    samples = (Sample((6,), (2,), (3,), attrs={'num_args': 3, 'dim': 0}),)
