/* torchlike.autograd._native: the recording path's common case in C.
 *
 * A training step of small ops is bound by the Python that records each op (README, speed).
 * These files do the same work without the interpreter:
 *   apply.c    record.apply: an op deferred into the current segment, or run at the call
 *   segment.c  lazy.record: an op appended to the current segment
 *   tensor.c   the Tensor, node and saved-tensor checks an op makes; Tensor._set_result
 *   engine.c   the backward engine's walk and layout, for a pass without hooks
 *   module.c   the Python objects they share, read once by setup()
 * The Python functions stay the specification: whatever this path does not handle (the first
 * op of a segment, a new constant, a new shape, several outputs, mixed dtypes, a tensor with
 * another storage kind, ...) is passed to them unchanged, before anything is changed, so both
 * paths leave the same state. Every object is read and made as the Python path does: Tensor,
 * Node, Pending and _Segment slots are read and written through their member offsets, found by
 * name at setup, so a renamed slot fails setup, not a step.
 */
#include "native.h"

PyObject fallback_marker;
PyObject *py_apply, *py_record, *py_wrap_any, *py_set_result, *one;
PyObject *quiet, *tick_fn, *several_fkeys;
PyTypeObject *Node_T, *Acc_T, *Tensor_T, *Storage_T, *PendingStorage_T, *Pending_T, *Array_T;
PyObject *state, *lazy_dict;
PyObject *pure_d, *avals_d, *known_consts, *default_dtype, *node_classes, *positions;
PyObject *node_class_fn, *diff_dtypes, *next_seq, *bits_fn, *default_devices_fn, *one_diff;
Py_ssize_t max_ops;
PyObject *s_lazy, *s_enabled, *s_aval, *s_dtype, *s_shape, *s_committed, *s_devices, *s_grad_name;
PyObject *s_saves, *s_saves_out, *s_current, *s_accumulator, *s_pre_hooks, *s_hooks, *s_retained, *s_seq;
Py_ssize_t t_s, t_v, t_rg, t_node, t_out_nr, t_grad, t_retains, t_hooks, t_acc;
Py_ssize_t a_variable;
Py_ssize_t p_aval, p_value, p_seg, p_k;
Py_ssize_t n_key, n_saved, n_avals, n_edges, n_checks, n_out_avals, n_seq;
Py_ssize_t g_ops, g_ext, g_ext_ids, g_ext_sig, g_values, g_storages, g_done, g_backward;

void set_slot(PyObject *o, Py_ssize_t off, PyObject *v)  /* steals v */
{
    PyObject *old = SLOT(o, off);
    SLOT(o, off) = v;
    Py_XDECREF(old);
}

int truthy(PyObject *o)
{
    if (o == Py_True) return 1;
    if (o == Py_False || o == Py_None) return 0;
    return PyObject_IsTrue(o);
}

static int offset_of(PyTypeObject *type, const char *name, Py_ssize_t *out)
{
    PyObject *d = PyDict_GetItemString(type->tp_dict, name);
    if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)
            || ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_RuntimeError, "torchlike._native: %s.%s is not a slot", type->tp_name, name);
        return -1;
    }
    *out = ((PyMemberDescrObject *)d)->d_member->offset;
    return 0;
}

static PyObject *get(PyObject *ns, const char *name)
{
    PyObject *o = PyDict_GetItemString(ns, name);
    if (o == NULL) PyErr_Format(PyExc_RuntimeError, "torchlike._native: no %s", name);
    return Py_XNewRef(o);
}

static int offsets(PyObject *type, const char *const *names, Py_ssize_t **outs)
{
    for (; *names; names++, outs++)
        if (offset_of((PyTypeObject *)type, *names, *outs) < 0) return -1;
    return 0;
}

/* setup(record_globals, lazy_globals, Tensor, Node, AccumulateGrad): the objects the fast path
 * shares with the Python path, read once. */
static PyObject *setup(PyObject *self, PyObject *args)
{
    PyObject *rec, *lz, *tensor, *node, *acc;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!", &PyDict_Type, &rec, &PyDict_Type, &lz, &PyType_Type, &tensor,
                          &PyType_Type, &node, &PyType_Type, &acc))
        return NULL;
    Node_T = (PyTypeObject *)Py_NewRef(node);
    Acc_T = (PyTypeObject *)Py_NewRef(acc);
    if (offset_of(Acc_T, "variable", &a_variable) < 0) return NULL;
    lazy_dict = Py_NewRef(lz);
    Tensor_T = (PyTypeObject *)Py_NewRef(tensor);
    if (!(py_apply = get(rec, "apply")) || !(state = get(rec, "_state")) || !(pure_d = get(rec, "_pure"))
            || !(known_consts = get(rec, "_known_constants")) || !(default_dtype = get(rec, "_default_dtype"))
            || !(node_classes = get(rec, "_node_classes")) || !(positions = get(rec, "_positions"))
            || !(diff_dtypes = get(rec, "_DIFF")) || !(next_seq = get(rec, "_next_seq"))
            || !(bits_fn = get(rec, "_bits")) || !(node_class_fn = get(rec, "node_class"))
            || !(py_wrap_any = get(rec, "wrap_any")) || !(py_set_result = get(rec, "python_set_result")) || !(one_diff = get(rec, "_ONE_DIFF"))
            || !(avals_d = get(lz, "_avals")) || !(py_record = get(lz, "record"))
            || !(quiet = get(lz, "_quiet")) || !(tick_fn = get(lz, "tick")) || !(default_devices_fn = get(lz, "_default_devices")))
        return NULL;
    PyObject *o;
    if (!(o = get(rec, "_PendingStorage"))) return NULL;
    PendingStorage_T = (PyTypeObject *)o;
    if (!(o = get(lz, "_PlainStorage"))) return NULL;
    Storage_T = (PyTypeObject *)o;
    if (!(o = get(lz, "Pending"))) return NULL;
    Pending_T = (PyTypeObject *)o;
    if (!(o = get(lz, "ArrayImpl"))) return NULL;
    Array_T = (PyTypeObject *)o;
    PyObject *segment = get(lz, "_Segment"), *mo = get(lz, "_MAX_OPS");
    if (segment == NULL || mo == NULL) return NULL;
    max_ops = PyLong_AsSsize_t(mo);
    Py_DECREF(mo);
    if (max_ops == -1 && PyErr_Occurred()) return NULL;
    static const char *const tn[] = {"_s", "_v", "_rg", "_node", "_out_nr", "_grad", "_retains", "_hooks",
                                     "_acc", NULL};
    Py_ssize_t *to[] = {&t_s, &t_v, &t_rg, &t_node, &t_out_nr, &t_grad, &t_retains, &t_hooks, &t_acc};
    static const char *const pn[] = {"aval", "value", "seg", "k", NULL};
    Py_ssize_t *po[] = {&p_aval, &p_value, &p_seg, &p_k};
    static const char *const nn[] = {"key", "saved", "avals", "edges", "checks", "out_avals", "seq", NULL};
    Py_ssize_t *no[] = {&n_key, &n_saved, &n_avals, &n_edges, &n_checks, &n_out_avals, &n_seq};
    static const char *const gn[] = {"ops", "ext", "ext_ids", "ext_sig", "values", "storages", "done",
                                     "backward", NULL};
    Py_ssize_t *go[] = {&g_ops, &g_ext, &g_ext_ids, &g_ext_sig, &g_values, &g_storages, &g_done, &g_backward};
    int bad = offsets(tensor, tn, to) < 0 || offsets((PyObject *)Pending_T, pn, po) < 0
              || offsets(node, nn, no) < 0 || offsets(segment, gn, go) < 0;
    Py_DECREF(segment);
    if (bad) return NULL;
    one = PyLong_FromLong(1);
    several_fkeys = PySet_New(NULL);
    if (one == NULL || several_fkeys == NULL) return NULL;
    if (!PyList_CheckExact(quiet) || PyList_GET_SIZE(quiet) < 1) {
        PyErr_SetString(PyExc_RuntimeError, "torchlike._native: lazy._quiet is not a one-item list");
        return NULL;
    }
    return PyDescr_NewMethod(Tensor_T, &set_result_def);  /* Tensor._set_result */
}

static PyMethodDef methods[] = {
    {"apply", (PyCFunction)(void (*)(void))native_apply, METH_FASTCALL,
     "apply(spec, args, statics=()): record.apply, with its common case in C."},
    {"record", (PyCFunction)(void (*)(void))native_record, METH_FASTCALL,
     "record(entry, xs, recording=False): lazy.record, with its common case in C."},
    {"alive_indices", alive_indices, METH_O, "alive_indices(items): lazy._alive_indices."},
    {"wrap_any", (PyCFunction)(void (*)(void))wrap_any, METH_FASTCALL, "record.wrap_any, in C for a deferred result."},
    {"walk", walk, METH_O, "walk(root_edges): engine._walk."},
    {"layout", layout, METH_VARARGS, "layout(order, root_edges): engine._Layout's fields for backward()."},
    {"setup", setup, METH_VARARGS, "setup(record_globals, lazy_globals, Tensor, Node, AccumulateGrad)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void)
{
#define INTERN(var, text) if (!(var = PyUnicode_InternFromString(text))) return NULL
    INTERN(s_lazy, "lazy"); INTERN(s_enabled, "enabled"); INTERN(s_aval, "aval"); INTERN(s_dtype, "dtype");
    INTERN(s_shape, "shape"); INTERN(s_committed, "committed"); INTERN(s_devices, "devices");
    INTERN(s_grad_name, "grad_name"); INTERN(s_saves, "saves"); INTERN(s_saves_out, "saves_out");
    INTERN(s_current, "_current"); INTERN(s_accumulator, "_accumulator"); INTERN(s_pre_hooks, "pre_hooks");
    INTERN(s_hooks, "hooks"); INTERN(s_retained, "retained"); INTERN(s_seq, "seq");
    return PyModule_Create(&module);
}

