"""``mx.optimizer``: the Optimizer base class and registry (optimizer.py), one module per
optimizer, each with a pure update function over numpy arrays, and the safe states
format (states.py)."""
import importlib
import pkgutil

from .optimizer import Optimizer, Updater, register, create, get_updater, clip_scaled

__all__ = ['Optimizer', 'Updater', 'register', 'create', 'get_updater']

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _mod not in ('optimizer', 'states'):
        _module = importlib.import_module('.' + _mod, __name__)
        for _name in getattr(_module, '__all__', ()):
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
