"""torchvision.models._api: ``Weights`` / ``WeightsEnum``, the model registry and its look-ups.

``WeightsEnum.get_state_dict`` reads the checkpoint where PyTorch caches it
(``$TORCH_HOME/hub/checkpoints/<file name from the url>``) and downloads it only when it is missing;
see ``torchlike.vision._hub``.
"""
import fnmatch
import functools
import importlib
import inspect
import warnings
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Callable, get_args

from .. import _hub

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight",
           "list_models"]


@dataclass
class Weights:
    """The address of a checkpoint, the preprocessing its model expects (a constructor, called by
    ``weights.transforms()``) and its metadata (``categories``, ``num_params``, ``min_size``, ...)."""
    url: str
    transforms: Callable
    meta: dict

    def __eq__(self, other):
        # Enum members are compared by value when deep-copied or unpickled; a deep-copied
        # functools.partial is not == to its original, so compare partials field by field.
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        if isinstance(self.transforms, partial) and isinstance(other.transforms, partial):
            return (self.transforms.func == other.transforms.func and self.transforms.args == other.transforms.args
                    and self.transforms.keywords == other.transforms.keywords)
        return self.transforms == other.transforms


class WeightsEnum(Enum):
    """Parent of every ``<Model>_Weights`` enum; its members' values are :class:`Weights`."""

    @classmethod
    def verify(cls, obj):
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                                f"{obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        return _hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """The weights enum member named like ``"ResNet50_Weights.IMAGENET1K_V1"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.")
    base_module = importlib.import_module(__name__.rsplit(".", 1)[0])
    model_modules = [base_module] + [m for _, m in inspect.getmembers(base_module, inspect.ismodule)
                                     if m.__file__.endswith("__init__.py")]
    weights_enum = None
    for m in model_modules:
        candidate = m.__dict__.get(enum_name, None)
        if candidate is not None and isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            weights_enum = candidate
            break
    if weights_enum is None:
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")
    return weights_enum[value_name]


def get_model_weights(name):
    """The weights enum class of a model builder (the function or its registered name)."""
    model = get_model_builder(name) if isinstance(name, str) else name
    return _get_enum_from_fn(model)


def _get_enum_from_fn(fn):
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    weights_enum = None
    if isinstance(ann, type) and issubclass(ann, WeightsEnum):
        weights_enum = ann
    else:
        for t in get_args(ann):
            if isinstance(t, type) and issubclass(t, WeightsEnum):
                weights_enum = t
                break
    if weights_enum is None:
        raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. Make sure the typing "
                         "info is correct.")
    return weights_enum


BUILTIN_MODELS = {}


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Registered model names, filtered by module and fnmatch patterns, sorted."""
    all_models = {k for k, v in BUILTIN_MODELS.items()
                  if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        models = set()
        for pattern in [include] if isinstance(include, str) else include:
            models |= set(fnmatch.filter(all_models, pattern))
    else:
        models = all_models
    if exclude:
        for pattern in [exclude] if isinstance(exclude, str) else exclude:
            models -= set(fnmatch.filter(all_models, pattern))
    return sorted(models)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}")


def get_model(name, **config):
    return get_model_builder(name)(**config)


def _ovewrite_named_param(kwargs, param, new_value):
    # (sic: torchvision's spelling)
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _sequence_to_str(seq, separate_last=""):
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join(str(item) for item in seq[:-1]) + "'"
    return head + f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"


def _handle_legacy_interface(legacy_default):
    """torchvision 0.13+'s compatibility shim: ``weights``/``progress`` passed positionally and the
    old ``pretrained=True/False`` still work, with torchvision's deprecation warnings."""
    def outer(builder):
        keyword_only = [n for n, p in inspect.signature(builder).parameters.items() if p.kind == p.KEYWORD_ONLY]

        @functools.wraps(builder)
        def inner(*args, **kwargs):
            if args:
                positional = dict(zip(keyword_only, args))
                warnings.warn(f"Using {_sequence_to_str(tuple(positional), separate_last='and ')} as positional "
                              "parameter(s) is deprecated since 0.13 and may be removed in the future. Please use "
                              "keyword parameter(s) instead.")
                kwargs.update(positional)
            sentinel = object()
            weights_arg = kwargs.get("weights", sentinel)
            if (("weights" not in kwargs and "pretrained" not in kwargs) or isinstance(weights_arg, WeightsEnum)
                    or (isinstance(weights_arg, str) and weights_arg != "legacy") or weights_arg is None):
                return builder(**kwargs)
            pretrained_positional = weights_arg is not sentinel
            if pretrained_positional:
                kwargs["pretrained"] = pretrained_arg = kwargs.pop("weights")
            else:
                pretrained_arg = kwargs["pretrained"]
            default_weights_arg = legacy_default if pretrained_arg else None
            if not pretrained_positional:
                warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
                              "future, please use 'weights' instead.")
            msg = ("Arguments other than a weight enum or `None` for 'weights' are deprecated since 0.13 and may be "
                   "removed in the future. The current behavior is equivalent to passing "
                   f"`weights={default_weights_arg}`.")
            if pretrained_arg:
                msg = (f"{msg} You can also use `weights={type(default_weights_arg).__name__}.DEFAULT` to get the "
                       "most up-to-date weights.")
            warnings.warn(msg)
            del kwargs["pretrained"]
            kwargs["weights"] = default_weights_arg
            return builder(**kwargs)
        return inner
    return outer
