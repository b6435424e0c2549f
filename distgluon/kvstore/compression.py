"""Gradient compression with error feedback: '2bit' (MXNet's) and '1bit' (ours).

The pushing side keeps a residual per key (and per device): it adds the new gradient,
quantises, sends the quantised values packed into 32-bit words, and keeps what was not
sent for the next push. The receiver unpacks and sums.

* 2bit: ``r += g; q = +t where r >= t, -t where r <= -t, else 0; r -= q``; 16 values per
  word (code 1 = +t, 2 = -t, 0 = 0).
* 1bit: ``r += g; s = mean(|r|); q = +s where r >= 0 else -s; r -= q``; 32 values per
  word plus the float32 scale.
"""
import numpy as np

from ..base import MXNetError

__all__ = ['create_compression', 'TwoBitCompression', 'OneBitCompression']

_SHIFT16 = (2 * np.arange(16, dtype=np.uint32)).astype(np.uint32)
_SHIFT32 = np.arange(32, dtype=np.uint32)


def create_compression(params):
    """Validate MXNet-style compression parameters and build the compressor.

    Parameters
    ----------
    params : dict
        ``{'type': '2bit', 'threshold': 0.5}`` or ``{'type': '1bit'}``; unknown extra
        keys are ignored as in MXNet.
    """
    if not isinstance(params, dict):
        raise AssertionError('unexpected type for param_dict: {}'.format(type(params)))
    if 'type' not in params:
        raise MXNetError('Required parameter type of string is not presented')
    kind = params['type']
    if kind == '2bit':
        threshold = float(params.get('threshold', 0.5))
        if not threshold > 0:
            raise MXNetError('threshold must be greater than 0, got {}'.format(threshold))
        return TwoBitCompression(threshold)
    if kind == '1bit':
        return OneBitCompression()
    raise MXNetError('Unknown type for gradient compression {}'.format(kind))


class _Compression:
    """Residual bookkeeping shared by the quantisers."""

    def __init__(self):
        self._residual = {}

    def _accumulate(self, key, grad):
        r = self._residual.get(key)
        if r is None or r.shape != grad.shape:
            r = self._residual[key] = np.zeros(grad.shape, dtype=np.float32)
        r += grad
        return r

    def residual(self, key):
        """What has not been sent yet for ``key`` (None before its first push)."""
        return self._residual.get(key)

    def roundtrip(self, key, grad):
        """Quantise ``grad`` for ``key`` (updating its residual) and return what the
        receiver would reconstruct, as an array of grad's dtype and shape."""
        packed = self.compress(key, grad)
        return self.decompress(packed, grad.shape).astype(grad.dtype, copy=False)

    @property
    def params(self):
        raise NotImplementedError


class TwoBitCompression(_Compression):
    """MXNet's 2-bit quantiser with threshold ``t``."""

    def __init__(self, threshold=0.5):
        super().__init__()
        self.threshold = float(threshold)

    @property
    def params(self):
        return {'type': '2bit', 'threshold': self.threshold}

    def compress(self, key, grad):
        """Quantise and pack: returns a uint32 array of ceil(n/16) words."""
        r = self._accumulate(key, grad).reshape(-1)
        t = np.float32(self.threshold)
        pos = r >= t
        neg = r <= -t
        r[pos] -= t
        r[neg] += t
        codes = pos.astype(np.uint32) | (neg.astype(np.uint32) << 1)
        n = codes.size
        padded = np.zeros(-(-n // 16) * 16, dtype=np.uint32)
        padded[:n] = codes
        return np.bitwise_or.reduce(padded.reshape(-1, 16) << _SHIFT16, axis=1)

    def decompress(self, words, shape):
        """Unpack ``words`` into a float32 array of ``shape``."""
        n = int(np.prod(shape))
        codes = (np.asarray(words, dtype=np.uint32)[:, None] >> _SHIFT16) & 3
        codes = codes.reshape(-1)[:n]
        out = np.zeros(n, dtype=np.float32)
        out[codes == 1] = self.threshold
        out[codes == 2] = -self.threshold
        return out.reshape(shape)


class OneBitCompression(_Compression):
    """Sign quantiser with a per-push scale (mean magnitude of the residual).

    Notes
    -----
    Not in MXNet: an addition of distgluon. The packed form is one float32 scale
    (stored bitwise in the first word) followed by ceil(n/32) words of sign bits.
    """

    @property
    def params(self):
        return {'type': '1bit'}

    def compress(self, key, grad):
        r = self._accumulate(key, grad).reshape(-1)
        scale = np.float32(np.abs(r).mean()) if r.size else np.float32(0)
        positive = r >= 0
        r[positive] -= scale
        r[~positive] += scale
        n = positive.size
        padded = np.zeros(-(-n // 32) * 32, dtype=np.uint32)
        padded[:n] = positive
        words = np.bitwise_or.reduce(padded.reshape(-1, 32) << _SHIFT32, axis=1)
        return np.concatenate([np.array([scale], dtype=np.float32).view(np.uint32), words])

    def decompress(self, words, shape):
        words = np.asarray(words, dtype=np.uint32)
        scale = words[:1].view(np.float32)[0]
        n = int(np.prod(shape))
        bits = ((words[1:, None] >> _SHIFT32) & 1).reshape(-1)[:n]
        return np.where(bits == 1, scale, -scale).astype(np.float32).reshape(shape)
