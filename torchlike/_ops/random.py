"""Random numbers from ``jax.random``, behind PyTorch's global-generator API.

The same seed gives the same numbers on every run, but not PyTorch's numbers: PyTorch's
Mersenne-Twister/Philox streams are not reproduced. Each draw folds a counter into the seed's
key, so no key splitting happens on the host.
"""
import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype
from .._storage import _meta
from .._tensor import Tensor
from .creation import _leaf, _size, _dt


class Generator:
    def __init__(self, device="cpu"):
        self.device = device
        self._seed = 67280421310721
        self._counter = 0
        # [(seed, counter) tracer, draws so far] while torchlike.compile traces a step
        self._traced = None

    def manual_seed(self, seed):
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long long")
        self._seed = seed % (1 << 64)
        self._counter = 0
        return self

    def seed(self):
        import random as _r
        self.manual_seed(_r.getrandbits(63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return Tensor._wrap(jnp.asarray(np.array([self._seed, self._counter], dtype=np.uint64).view(np.uint8)))

    def set_state(self, new_state):
        seed, counter = np.asarray(new_state._s[0]).view(np.uint64).tolist()
        self._seed, self._counter = int(seed), int(counter)

    def next_key(self):
        traced = self._traced
        if traced is not None:  # inside a compiled step (seed, counter) is an input of the program
            state, k = traced
            traced[1] += 1
            seed, counter, low = state[0], state[1] + np.uint64(k), np.uint64(0xFFFFFFFF)
            return _fold((seed & low).astype(jnp.uint32), (seed >> np.uint64(32)).astype(jnp.uint32),
                         (counter & low).astype(jnp.uint32))
        key = _key_for(self._seed, self._counter)
        self._counter += 1
        return key


@jax.jit
def _fold(seed_lo, seed_hi, counter):
    key = jax.random.fold_in(jax.random.key(seed_lo), seed_hi)
    return jax.random.fold_in(key, counter)


def _key_for(seed, counter):
    return _fold(np.uint32(seed & 0xFFFFFFFF), np.uint32(seed >> 32), np.uint32(counter & 0xFFFFFFFF))


default_generator = Generator()


def manual_seed(seed):
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _key(generator):
    return (generator or default_generator).next_key()


def _float_dt(dtype, what):
    dt = dtype or _dtype.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f'"{what}" not implemented for \'{_legacy(dt)}\'')
    return dt


def _legacy(dt):
    from .._tensor import _legacy_name
    return _legacy_name(dt)


_uniform = jax.jit(lambda key, shape, dt: jax.random.uniform(key, shape, dt), static_argnums=(1, 2))
_normal = jax.jit(lambda key, shape, dt: jax.random.normal(key, shape, dt), static_argnums=(1, 2))
_randint = jax.jit(lambda key, shape, lo, hi, dt: jax.random.randint(key, shape, lo, hi, dt), static_argnums=(1, 4))


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    dt = _float_dt(dtype, "check_uniform_bounds")
    return _leaf(_uniform(_key(generator), _size(size), dt.np), requires_grad, device)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    dt = _float_dt(dtype, "normal_kernel_cpu")
    return _leaf(_normal(_key(generator), _size(size), dt.np), requires_grad, device)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = dtype or _dtype.int64
    arr = _randint(_key(generator), _size((size,)), low, high, jnp.int64)
    return _leaf(arr.astype(dt.np), requires_grad, device)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    arr = jax.random.permutation(_key(generator), n)
    return _leaf(arr.astype((dtype or _dtype.int64).np), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._s[0] if isinstance(mean, Tensor) else mean
        s = std._s[0] if isinstance(std, Tensor) else std
        shape = jnp.broadcast_shapes(jnp.shape(m), jnp.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        z = _normal(_key(generator), shape, _meta(ref).dtype)
        return _leaf(m + s * z)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments")
    dt = _float_dt(dtype, "normal_kernel_cpu")
    return _leaf(mean + std * _normal(_key(generator), _size((size,)), dt.np), requires_grad, device)


def _like(sampler):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        dt = dtype or input.dtype
        return _leaf(sampler(_key(None), tuple(input.shape), dt.np), requires_grad, device)
    return like


rand_like = _like(_uniform)
randn_like = _like(_normal)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._s[0] if p is None else jnp.full(_meta(input).shape, p, _meta(input).dtype)
    u = _uniform(_key(generator), probs.shape, probs.dtype)
    return Tensor._wrap((u < probs).astype(probs.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    probs = input._s[0]
    logits = jnp.log(probs)
    key = _key(generator)
    if replacement:
        arr = jax.random.categorical(key, logits, axis=-1, shape=(num_samples,) + probs.shape[:-1])
        arr = jnp.moveaxis(arr, 0, -1)
    else:
        g = jax.random.gumbel(key, probs.shape, probs.dtype)
        arr = jnp.argsort(-(logits + g), axis=-1)[..., :num_samples]
    return Tensor._wrap(arr.astype(jnp.int64))


# -- in-place fills (used by nn.init) ---------------------------------------------------------------
def _fill_in_place(self, arr):
    self._check_inplace()
    self._s[0] = arr.astype(_meta(self).dtype)
    self._v[0] += 1
    return self


# The fills nn.init uses draw fixed-size chunks and reshape on the host: XLA compiles a threefry
# sampler in seconds on CPU, and a model's layers would otherwise compile one per distinct shape.
_CHUNKS = (1 << 10, 1 << 16)
_uniform_chunk = jax.jit(lambda key, i, lo, hi, n, dt: lo + (hi - lo) * jax.random.uniform(
    jax.random.fold_in(key, i), (n,), dt), static_argnums=(4, 5))
_normal_chunk = jax.jit(lambda key, i, mean, std, n, dt: mean + std * jax.random.normal(
    jax.random.fold_in(key, i), (n,), dt), static_argnums=(4, 5))


def _chunked(sampler, generator, shape, dtype, a, b):
    key = _key(generator)
    if (generator or default_generator)._traced is not None:  # inside torchlike.compile: one traced draw
        return a + (b - a) * _uniform(key, shape, dtype) if sampler is _uniform_chunk else \
            a + b * _normal(key, shape, dtype)
    count = int(np.prod(shape, dtype=np.int64))
    n = _CHUNKS[0] if count <= _CHUNKS[0] else _CHUNKS[1]
    parts = [np.asarray(sampler(key, np.uint32(i), a, b, n, dtype)) for i in range(-(-count // n))]
    flat = np.concatenate(parts)[:count] if parts else np.zeros(0, np.dtype(dtype))
    return jnp.asarray(flat.reshape(shape))


def _uniform_(self, from_=0, to=1, *, generator=None, **kw):
    from_ = kw.get("from", from_)
    return _fill_in_place(self, _chunked(_uniform_chunk, generator, tuple(self.shape), _meta(self).dtype, from_, to))


def _normal_(self, mean=0, std=1, *, generator=None):
    return _fill_in_place(self, _chunked(_normal_chunk, generator, tuple(self.shape), _meta(self).dtype, mean, std))


def _bernoulli_(self, p=0.5, *, generator=None):
    u = _uniform(_key(generator), tuple(self.shape), jnp.float32)
    pr = p._s[0] if isinstance(p, Tensor) else p
    return _fill_in_place(self, u < pr)


def _exponential_(self, lambd=1.0, *, generator=None):
    e = jax.random.exponential(_key(generator), tuple(self.shape), jnp.float32)
    return _fill_in_place(self, e / lambd)


def _random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2 ** 24
    return _fill_in_place(self, _randint(_key(generator), tuple(self.shape), from_, to, jnp.int64))


Tensor.uniform_ = _uniform_
Tensor.normal_ = _normal_
Tensor.bernoulli_ = _bernoulli_
Tensor.exponential_ = _exponential_
Tensor.random_ = _random_
Tensor.bernoulli = lambda self, p=None, *, generator=None: bernoulli(self, p, generator=generator)
Tensor.multinomial = multinomial
