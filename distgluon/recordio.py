"""MXNet's RecordIO format (``mx.recordio``): sequential and indexed record files.

Each record is ``u32 magic 0xced7230a``, ``u32 (cflag << 29 | length)``, the payload and
zero padding to 4 bytes. A payload that contains the magic at a 4-byte-aligned offset
is split there into parts (cflag 1 = first, 2 = middle, 3 = last) and the magic is
restored on reading, as dmlc-core does; files are byte-identical to MXNet's.
An indexed file has a text ``.idx`` beside it with ``key\\toffset`` lines.
"""
from collections import namedtuple
import numbers
import os
import struct

import numpy as np

from .base import MXNetError

__all__ = ['MXRecordIO', 'MXIndexedRecordIO', 'IRHeader', 'pack', 'unpack', 'pack_img',
           'unpack_img']

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack('<I', _MAGIC)
_MAX_LENGTH = 1 << 29


def _encode_lrec(cflag, length):
    return struct.pack('<I', (cflag << 29) | length)


class MXRecordIO:
    """Read or write a sequence of records.

    Parameters
    ----------
    uri : str
        Path of the record file.
    flag : {'r', 'w'}
        Open for reading or writing.

    Notes
    -----
    As in MXNet, once `read` has reached the end of the file it (and `read_idx`) keep
    returning None until `reset`. A truncated or corrupt record raises `MXNetError`
    naming the file and the byte offset.
    """

    def __init__(self, uri, flag):
        self.uri = str(uri)
        self.flag = flag
        self.pid = None
        self.is_open = False
        self._file = None
        self._at_end = False
        self.open()

    def open(self):
        """Open the file (called by the constructor and by `reset`)."""
        if self.flag == 'w':
            self._file = open(self.uri, 'wb')
            self.writable = True
        elif self.flag == 'r':
            try:
                self._file = open(self.uri, 'rb')
            except OSError as err:
                raise MXNetError('cannot open record file {}: {}'.format(
                    self.uri, err.strerror)) from None
            self.writable = False
        else:
            raise ValueError('Invalid flag %s' % self.flag)
        self._at_end = False
        self.pid = os.getpid()
        self.is_open = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to release
            pass

    def __getstate__(self):
        was_open = self.is_open
        self.close()
        state = dict(self.__dict__)
        state['is_open'] = was_open
        state['_file'] = None
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        was_open = state['is_open']
        self.is_open = False
        if was_open:
            self.open()

    def _check_pid(self, allow_reset=False):
        if self.pid != os.getpid():
            if allow_reset:
                self.reset()
            else:
                raise RuntimeError('Forbidden operation in multiple processes')

    def close(self):
        """Close the file (flushes a writer)."""
        if not self.is_open:
            return
        self._file.close()
        self.is_open = False
        self.pid = None

    def reset(self):
        """Go back to the first record."""
        self.close()
        self.open()

    def write(self, buf):
        """Append one record (bytes)."""
        if not self.writable:
            raise AssertionError('record file {} is open for reading'.format(self.uri))
        self._check_pid(allow_reset=False)
        buf = bytes(buf)
        size = len(buf)
        if size >= _MAX_LENGTH:
            raise MXNetError('RecordIO only accept record less than 2^29 bytes, got {}'.format(
                size))
        words = np.frombuffer(buf[:size - size % 4], dtype='<u4')
        cuts = (np.flatnonzero(words == _MAGIC) * 4).tolist()
        out = self._file
        start = 0
        for cut in cuts:
            out.write(_MAGIC_BYTES + _encode_lrec(1 if start == 0 else 2, cut - start))
            out.write(buf[start:cut])
            start = cut + 4
        out.write(_MAGIC_BYTES + _encode_lrec(3 if start else 0, size - start))
        out.write(buf[start:])
        pad = -size % 4
        if pad:
            out.write(b'\0' * pad)

    def _read_part(self):
        """One physical record part: (cflag, payload) or None at a clean end of file."""
        f = self._file
        offset = f.tell()
        head = f.read(8)
        if not head:
            return None
        if len(head) < 8:
            raise MXNetError('record file {} is truncated at byte {}: a record header needs 8 '
                             'bytes, found {}'.format(self.uri, offset, len(head)))
        magic, lrec = struct.unpack('<II', head)
        if magic != _MAGIC:
            raise MXNetError('record file {} is corrupt at byte {}: expected the RecordIO '
                             'magic 0x{:08x}, found 0x{:08x}'.format(self.uri, offset, _MAGIC,
                                                                    magic))
        cflag, length = lrec >> 29, lrec & (_MAX_LENGTH - 1)
        payload = f.read(length)
        if len(payload) < length:
            raise MXNetError('record file {} is truncated at byte {}: the record needs {} bytes, '
                             'found {}'.format(self.uri, offset, length, len(payload)))
        pad = -length % 4
        if pad:
            f.read(pad)
        return cflag, payload

    def read(self):
        """The next record as bytes, or None at the end of the file."""
        if self.writable:
            raise AssertionError('record file {} is open for writing'.format(self.uri))
        self._check_pid(allow_reset=False)
        if self._at_end:
            return None
        part = self._read_part()
        if part is None:
            self._at_end = True
            return None
        cflag, payload = part
        if cflag == 0:
            return payload
        if cflag != 1:
            raise MXNetError('record file {} is corrupt before byte {}: a continued record '
                             'part (cflag {}) has no first part'.format(
                                 self.uri, self._file.tell(), cflag))
        pieces = [payload]
        while True:
            part = self._read_part()
            if part is None:
                raise MXNetError('record file {} is truncated: a split record has no last '
                                 'part'.format(self.uri))
            cflag, payload = part
            pieces.append(payload)
            if cflag == 3:
                return _MAGIC_BYTES.join(pieces)
            if cflag != 2:
                raise MXNetError('record file {} is corrupt before byte {}: unexpected cflag '
                                 '{} inside a split record'.format(self.uri, self._file.tell(),
                                                                   cflag))

    def tell(self):
        """Byte offset where the next record will be written (or read)."""
        return self._file.tell()


class MXIndexedRecordIO(MXRecordIO):
    """A record file with an index (``key\\toffset`` lines) for random access.

    Parameters
    ----------
    idx_path : str
        Path of the index file.
    uri : str
        Path of the record file.
    flag : {'r', 'w'}
    key_type : type
        Type of the keys (int by default).
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = str(idx_path)
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        if self.writable:
            self.fidx = open(self.idx_path, 'w')
            return
        try:
            self.fidx = open(self.idx_path, 'r')
        except OSError as err:
            raise MXNetError('cannot open index file {}: {}'.format(
                self.idx_path, err.strerror)) from None
        for lineno, line in enumerate(self.fidx, 1):
            fields = line.strip().split('\t')
            if fields == ['']:
                continue
            try:
                key, offset = self.key_type(fields[0]), int(fields[1])
            except (ValueError, IndexError):
                raise MXNetError('index file {} line {} is not "key<TAB>offset": {!r}'.format(
                    self.idx_path, lineno, line)) from None
            self.idx[key] = offset
            self.keys.append(key)

    def close(self):
        if not self.is_open:
            return
        super().close()
        self.fidx.close()

    def __getstate__(self):
        state = super().__getstate__()
        state['fidx'] = None
        return state

    def seek(self, idx):
        """Position the reader at record ``idx``."""
        if self.writable:
            raise AssertionError('record file {} is open for writing'.format(self.uri))
        self._check_pid(allow_reset=True)
        try:
            pos = self.idx[idx]
        except KeyError:
            raise KeyError('key {!r} is not in index file {}'.format(idx, self.idx_path)) \
                from None
        self._file.seek(pos)

    def read_idx(self, idx):
        """The record stored under key ``idx``."""
        self.seek(idx)
        return self.read()

    def write_idx(self, idx, buf):
        """Append a record under key ``idx``."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write('%s\t%d\n' % (str(key), pos))
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple('HEADER', ['flag', 'label', 'id', 'id2'])
IRHeader.__doc__ = """Header of an image record: flag, label (float or array), id, id2."""
_IR_FORMAT = 'IfQQ'
_IR_SIZE = struct.calcsize(_IR_FORMAT)


def pack(header, s):
    """Prepend an IRHeader to bytes ``s``; an array label is stored after the header (its
    length in ``flag``), a scalar label forces ``flag=0``."""
    header = IRHeader(*header)
    if isinstance(header.label, numbers.Number):
        header = header._replace(flag=0)
    else:
        label = np.asarray(header.label, dtype=np.float32)
        header = header._replace(flag=label.size, label=0)
        s = label.tobytes() + s
    return struct.pack(_IR_FORMAT, *header) + s


def unpack(s):
    """Split a record into (IRHeader, payload bytes)."""
    if len(s) < _IR_SIZE:
        raise MXNetError('record of {} bytes is too short for an IRHeader ({} bytes)'.format(
            len(s), _IR_SIZE))
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        header = header._replace(label=np.frombuffer(s, np.float32, header.flag))
        s = s[header.flag * 4:]
    return header, s


def _codec():
    try:
        import cv2
        return 'cv2', cv2
    except ImportError:
        pass
    try:
        from PIL import Image
        return 'pil', Image
    except ImportError:
        raise MXNetError('pack_img/unpack_img need an image codec: install opencv-python or '
                         'Pillow') from None


def unpack_img(s, iscolor=-1):
    """Unpack a record holding an encoded image: (IRHeader, HxWxC uint8 array, BGR)."""
    import io
    header, s = unpack(s)
    kind, codec = _codec()
    if kind == 'cv2':
        return header, codec.imdecode(np.frombuffer(s, dtype=np.uint8), iscolor)
    img = codec.open(io.BytesIO(s))
    if iscolor == 0:
        return header, np.asarray(img.convert('L'))
    arr = np.asarray(img.convert('RGB'))
    return header, arr[:, :, ::-1].copy()


def pack_img(header, img, quality=95, img_fmt='.jpg'):
    """Encode an image array (BGR, as OpenCV) and pack it with ``header``."""
    import io
    kind, codec = _codec()
    if kind == 'cv2':
        params = None
        if img_fmt.upper() in ('.JPG', '.JPEG'):
            params = [codec.IMWRITE_JPEG_QUALITY, quality]
        elif img_fmt.upper() == '.PNG':
            params = [codec.IMWRITE_PNG_COMPRESSION, quality]
        ok, buf = codec.imencode(img_fmt, img, params)
        if not ok:
            raise MXNetError('failed to encode image')
        return pack(header, buf.tobytes())
    arr = np.asarray(img)
    if arr.ndim == 3:
        arr = arr[:, :, ::-1]
    out = io.BytesIO()
    fmt = 'JPEG' if img_fmt.upper() in ('.JPG', '.JPEG') else img_fmt.lstrip('.').upper()
    codec.fromarray(np.ascontiguousarray(arr)).save(out, format=fmt, quality=quality)
    return pack(header, out.getvalue())
