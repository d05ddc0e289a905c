"""An emulated CUDA device, so that the CUDA half of every test runs on a machine without a GPU.

A tensor on it reports ``cuda:0`` (``x.is_cuda``, ``x.device``, ``device=x.device`` work as on a GPU)
and keeps its values in a CPU tensor inside. Every op on it goes through ``__torch_dispatch__``, the
pattern of PyTorch's own wrapper tensors (its test suite's LoggingTensor, FakeTensor), which applies
CUDA's rules where kata code meets them:

- placement: an op mixing it with a CPU tensor of one or more dims raises CUDA's RuntimeError
  ("Expected all tensors to be on the same device..."), naming the op, the tensor and the line of
  kata code; a 0-dim CPU tensor or a Python number mixes freely, and CPU indices may index it;
- ``.to``, ``.cpu()``, ``.cuda()``, ``copy_`` across devices, ``torch.*_like`` and factories with
  ``device="cuda"`` move or make tensors as on CUDA; ``.numpy()`` refuses;
- generators: a CPU ``torch.Generator`` cannot draw on it, and an emulated CUDA one (``generator``)
  cannot draw on the CPU. Without a generator it draws from the CPU's global random state.

What it cannot check: the numerics of GPU kernels (TF32, the order of reductions), non-determinism,
memory and speed. A few ops refuse even a 0-dim CPU tensor on a GPU (``torch.stack`` of 0-dim
tensors): here it mixes freely everywhere, as under PyTorch's FakeTensor. What it cannot do:
``torch.Generator(device="cuda")`` needs a GPU (tests make theirs with ``generator``), ``torch.load``
cannot load onto it, and ``x.data = t`` cannot move ``x`` to the CPU.

``EmulatedCuda()`` is the mode the plugin enters for each test on the emulated device: inside it,
``device="cuda"`` means that device.
"""

from __future__ import annotations

import copy
import functools
import linecache
import sys
from types import FrameType

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from .loader import current

CUDA = torch.device("cuda", 0)
# The device the wrapper tensors have inside torch: autograd needs one whose device guard a CPU-only
# build registers (cpu, meta and lazy only), and no kata uses lazy. Python sees CUDA.
STAND_IN = torch.device("lazy", 0)
CPU = torch.device("cpu")

aten = torch.ops.aten
# Ops that take tensors on two devices on CUDA too: copies, and comparisons of metadata.
MIXED_DEVICES = frozenset({aten.copy_.default, aten.copy.default, aten._copy_from.default,
                           aten._copy_from_and_resize.default, aten._to_copy.default, aten.is_same_size.default,
                           aten._has_same_storage_numel.default})
# Ops whose indices (their second argument) may stay on the CPU while the indexed tensor is on CUDA.
INDEXING = frozenset({aten.index.Tensor, aten.index_put_.default, aten.index_put.default,
                      aten._index_put_impl_.default})


class EmulatedCudaTensor(torch.Tensor):
    """A tensor on the emulated CUDA device: CUDA to Python, a CPU tensor (``_data``) inside."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def __new__(cls, data: torch.Tensor) -> EmulatedCudaTensor:
        tensor = torch.Tensor._make_wrapper_subclass(
            cls, data.size(), strides=data.stride(), storage_offset=data.storage_offset(), dtype=data.dtype,
            layout=data.layout, device=STAND_IN, requires_grad=False,
        )
        tensor._data = data
        return tensor

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})

    @property
    def device(self) -> torch.device:
        return CUDA

    @property
    def is_cuda(self) -> bool:
        return True

    @property
    def data(self) -> torch.Tensor:
        return torch._C.TensorBase.data.__get__(self)

    @data.setter
    def data(self, new: torch.Tensor) -> None:
        if type(new) is not EmulatedCudaTensor:
            raise RuntimeError(f"the emulated CUDA device cannot move a tensor to {new.device} in place "
                               "(`x.data = ...`); assign a tensor on cuda")
        self._data = new._data
        _relayout(self)

    def type(self, dtype=None, non_blocking: bool = False, **kwargs):
        if dtype is None and not kwargs:
            return self._data.type().replace("torch.", "torch.cuda.", 1)  # torch.cuda.FloatTensor
        return super().type(dtype, non_blocking, **kwargs)

    def numpy(self, *, force: bool = False):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor "
                        "to host memory first.")

    def tolist(self) -> list:
        return self._data.tolist()

    # The memory is the CPU tensor's: tests compare it to tell views from copies.
    def data_ptr(self) -> int:
        return self._data.data_ptr()

    def untyped_storage(self) -> torch.UntypedStorage:
        return self._data.untyped_storage()

    def __reduce_ex__(self, protocol):
        # Saved as the CPU tensor inside, so torch.load gives it back on the CPU (a GPU's file would
        # load onto CUDA, which torch.load cannot do on this machine).
        return self._data.__reduce_ex__(protocol)

    def __deepcopy__(self, memo: dict) -> EmulatedCudaTensor:
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        copied = EmulatedCudaTensor(self._data.clone()).requires_grad_(self.requires_grad)
        memo[id(self)] = copied
        if self.grad is not None:
            copied.grad = copy.deepcopy(self.grad, memo)
        copied.__dict__.update(copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "_data"}, memo))
        return copied

    def __format__(self, spec: str) -> str:
        # torch formats a 0-dim plain Tensor as its number (f"{loss:.3f}"), but no subclass
        return self.item().__format__(spec) if self.dim() == 0 else object.__format__(self, spec)

    def __repr__(self, *, tensor_contents=None) -> str:
        autograd = (f", grad_fn=<{type(self.grad_fn).__name__}>" if self.grad_fn is not None
                    else ", requires_grad=True" if self.requires_grad else "")
        return f"{repr(self._data)[:-1]}, device='cuda:0'{autograd})"


def tensor_type(value: object) -> type:
    """type(value), a tensor on the emulated device reading as the type it would have on a GPU:
    torch.Tensor, or nn.Parameter."""
    if type(value) is EmulatedCudaTensor:
        return torch.nn.Parameter if getattr(value, "_is_param", False) else torch.Tensor
    return type(value)


class EmulatedCudaGenerator(torch.Generator):
    """A generator of the emulated CUDA device: a CPU generator inside, seeded and replayed as one."""

    @property
    def device(self) -> torch.device:
        return CUDA


def generator(device: str | torch.device, seed: int) -> torch.Generator:
    """A torch.Generator for ``device`` seeded with ``seed``: the emulated device's own while CUDA is
    emulated (where torch.Generator(device="cuda") would need a GPU)."""
    if torch.device(device).type == "cuda" and emulating():
        return EmulatedCudaGenerator().manual_seed(seed)
    return torch.Generator(device).manual_seed(seed)


class EmulatedCuda(TorchFunctionMode):
    """Inside it, ``device="cuda"`` makes tensors on the emulated CUDA device and moves them there.

    Two modes in one. This function mode sees a call before torch does, while its device and
    generator are still what the caller wrote: torch would initialize CUDA (and fail without it)
    before any dispatch mode could step in, and gives __torch_dispatch__ a new object for a generator.
    It hands torch the stand-in device instead of CUDA. Its dispatch mode, ``_EmulatedOps``, then runs
    every op that involves the emulated device.
    """

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is _CUDA:
            return _cuda(*args, **kwargs)
        if "device" in kwargs:
            kwargs = {**kwargs, "device": _stand_in(kwargs["device"])}
        if func is _TO and len(args) > 1:
            args = (args[0], _stand_in(args[1]), *args[2:])
        chosen = kwargs.get("generator")
        if chosen is not None:
            on_emulated = _on_emulated(args, kwargs)
            if (type(chosen) is EmulatedCudaGenerator) != on_emulated:
                raise _wrong_generator(func.__name__, on_emulated, type(chosen) is EmulatedCudaGenerator)
        return func(*args, **kwargs)

    def __enter__(self) -> EmulatedCuda:
        # torch.tensor(data, device=...) moves its data with all modes off, unless told to lift it
        # to the CPU first and move it after (as FakeTensorMode does on a CPU-only build).
        self._lifted = torch._C._only_lift_cpu_tensors()
        torch._C._set_only_lift_cpu_tensors(True)
        # module.to("cuda") would put new Parameters in place of the CPU ones (their types differ, so
        # it cannot assign .data), which unties tied weights: swap them in place instead.
        self._swapped = torch.__future__.get_swap_module_params_on_conversion()
        torch.__future__.set_swap_module_params_on_conversion(True)
        super().__enter__()
        self._ops = _EmulatedOps().__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._ops.__exit__(*exc_info)
        super().__exit__(*exc_info)
        torch.__future__.set_swap_module_params_on_conversion(self._swapped)
        torch._C._set_only_lift_cpu_tensors(self._lifted)


class _EmulatedOps(TorchDispatchMode):
    """Runs the ops that involve the emulated device (``_run``), and every other op as it is.

    Ops on emulated tensors would reach their __torch_dispatch__ without it, but torch imports
    torch.distributed.tensor (a second or two) on the first op it dispatches to a tensor subclass, and
    a dispatch mode also sees the factories of the stand-in device.
    """

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # else __torch_dispatch__ is wrapped for torch.compile: two seconds importing dynamo

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if EmulatedCudaTensor in types or _on_stand_in(kwargs):
            return _run(func, args, kwargs)
        return func(*args, **kwargs)


_TO, _CUDA = torch.Tensor.to, torch.Tensor.cuda


def _stand_in(device):
    """The stand-in device in place of a CUDA one ("cuda", "cuda:0", 0, torch.device); any other as it was."""
    if type(device) is int or (isinstance(device, (str, torch.device)) and torch.device(device).type == "cuda"):
        return STAND_IN  # a bare index names a CUDA device
    return device


def _cuda(tensor: torch.Tensor, device=None, non_blocking: bool = False,
          memory_format=torch.preserve_format) -> torch.Tensor:
    """Tensor.cuda(), which torch would refuse without CUDA: a move to the stand-in device."""
    return _TO(tensor, STAND_IN, non_blocking=non_blocking, memory_format=memory_format)


def emulating() -> bool:
    """An EmulatedCuda mode is active."""
    return any(type(torch._C._get_function_stack_at(i)) is EmulatedCuda
               for i in range(torch._C._len_torch_function_stack()))


def no_foreign_function_mode() -> bool:
    """No torch function mode is active but the emulator's (the grading sandbox checks kata code
    left none behind)."""
    return _only(torch._C._len_torch_function_stack(), torch._C._get_function_stack_at, EmulatedCuda)


def no_foreign_dispatch_mode() -> bool:
    """No torch dispatch mode is active but the emulator's."""
    return _only(torch._C._len_torch_dispatch_stack(), torch._C._get_dispatch_stack_at, _EmulatedOps)


def _only(depth: int, mode_at, own: type) -> bool:
    return depth == 0 or (depth == 1 and type(mode_at(0)) is own)


# -- running one op on the emulated device -------------------------------------------------------------


def _run(func, args: tuple, kwargs: dict):
    """One aten op that an emulated tensor takes part in, or whose device= is the stand-in."""
    device = kwargs.get("device")
    if device is None:  # the inputs decide the device: they must agree
        _check_placement(func, args, kwargs)
    emulated = device is None or device.type == STAND_IN.type  # where the result lives
    passed = {}  # id of each tensor the op runs on -> the tensor the caller passed
    args = tuple(_unwrap(value, passed) for value in args)
    kwargs = {name: _unwrap(value, passed) for name, value in kwargs.items()}
    if device is not None and emulated:
        kwargs["device"] = CPU
    result = func(*args, **kwargs)
    if _reshapes(func):  # the wrapper must follow its CPU tensor
        for tensor in passed.values():
            if type(tensor) is EmulatedCudaTensor and _layout(tensor) != _layout(tensor._data):
                _relayout(tensor)
    return _wrap(result, passed, emulated)


@functools.cache
def _reshapes(func) -> bool:
    """The op may change a tensor's shape in place: an out= op resizes, x.squeeze_(0) reshapes."""
    return torch.Tag.inplace_view in func.tags or any(argument.is_out for argument in func._schema.arguments)


def _layout(tensor: torch.Tensor) -> tuple:
    return tensor.shape, tensor.stride(), tensor.storage_offset()


def _relayout(tensor: EmulatedCudaTensor) -> None:
    """Give the wrapper the shape and strides of its CPU tensor (set_data copies them), under the
    dispatch mode: the ops set_data dispatches would otherwise reach __torch_dispatch__."""
    with _EmulatedOps():
        torch._C.TensorBase.data.__set__(tensor, EmulatedCudaTensor(tensor._data))


def _on_stand_in(kwargs: dict) -> bool:
    device = kwargs.get("device")
    return isinstance(device, torch.device) and device.type == STAND_IN.type


def _on_emulated(args: tuple, kwargs: dict) -> bool:
    """A call on the emulated device: a tensor on it takes part, or device= names it."""
    return _on_stand_in(kwargs) or any(type(v) is EmulatedCudaTensor or (type(v) in (list, tuple) and
                                                 any(type(t) is EmulatedCudaTensor for t in v))
               for v in (*args, *kwargs.values()))


def _unwrap(value, passed: dict):
    if type(value) is EmulatedCudaTensor:
        passed[id(value._data)] = value
        return value._data
    if isinstance(value, torch.Tensor):
        passed[id(value)] = value
        return value
    if type(value) in (list, tuple):
        return type(value)(_unwrap(v, passed) for v in value)
    return value


def _wrap(value, passed: dict, emulated: bool):
    if isinstance(value, torch.Tensor):
        if id(value) in passed:
            return passed[id(value)]  # an in-place op or out=: the very tensor the caller passed
        if not emulated:
            return value
        if value._is_zerotensor():  # forward AD's zeros without memory, which ops here cannot read
            value = torch.zeros(value.shape, dtype=value.dtype)
        return EmulatedCudaTensor(value)
    if type(value) in (list, tuple):
        return type(value)(_wrap(v, passed, emulated) for v in value)
    return value


def _check_placement(func, args: tuple, kwargs: dict) -> None:
    if func in MIXED_DEVICES:
        return
    for position, value in enumerate((*args, *kwargs.values())):
        if position == 1 and func in INDEXING:
            continue  # indices may stay on the CPU
        for tensor in value if type(value) in (list, tuple) else (value,):
            if not isinstance(tensor, torch.Tensor) or type(tensor) is EmulatedCudaTensor:
                continue
            if tensor.device.type == "cpu" and tensor.dim() == 0:
                continue  # a CPU scalar: CUDA kernels take it as a number
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, cuda:0 and "
                f"{tensor.device}! ({func.overloadpacket.__name__} mixes {_described(tensor)} with tensors on "
                f"the emulated CUDA device{_where()})"
            )


def _wrong_generator(op: str, on_emulated: bool, emulated_generator: bool) -> RuntimeError:
    expected, found = ("cuda" if on_emulated else "cpu"), ("cuda" if emulated_generator else "cpu")
    on = "the emulated CUDA device" if on_emulated else "the CPU"
    return RuntimeError(f"Expected a '{expected}' device type for generator but found '{found}' ({op} draws on "
                        f"{on}{_where()})")


def _described(tensor: torch.Tensor) -> str:
    """'`eps`, a float32 tensor of shape (3,) on cpu': by its name in kata code when it has one."""
    what = f"a {str(tensor.dtype).removeprefix('torch.')} tensor of shape {tuple(tensor.shape)} on {tensor.device}"
    frames = _kata_frames()
    names = [name for name, value in frames[0].f_locals.items() if value is tensor] if frames else []
    return f"`{names[0]}`, {what}," if names else what


def _where() -> str:
    """', in reparam.rsample_normal, line 31: `return mu + sigma * eps`' when kata code made the call,
    and the kata functions that called that one."""
    frames = _kata_frames()
    if not frames:
        return ""
    module = current().where.split(".")[0]
    (inner, *outer) = [(f"{module}.{getattr(f.f_code, 'co_qualname', f.f_code.co_name)}", f.f_lineno) for f in frames]
    line = linecache.getline(frames[0].f_code.co_filename, frames[0].f_lineno).strip()
    called = "".join(f", called from {name}, line {number}" for name, number in outer)
    return f", in {inner[0]}, line {inner[1]}: `{line}`{called}"


def _kata_frames() -> list[FrameType]:
    """The frames of the kata code under test on the stack, innermost first."""
    try:
        files = current().session.source_files()
    except RuntimeError:  # no kata test is running
        return []
    frames, frame = [], sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename in files:
            frames.append(frame)
        frame = frame.f_back
    return frames
