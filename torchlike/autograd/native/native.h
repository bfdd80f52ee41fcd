/* What the C recording path's files share (the design: module.c). */
#ifndef TORCHLIKE_NATIVE_H
#define TORCHLIKE_NATIVE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define MAXARGS 8    /* an op's tensor parameters handled in C (more: the Python path) */
#define MAXX 256     /* a deferred op's inputs handled in C (a fused backward's saved arrays) */
#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

/* returned where the Python path must run instead; nothing has been changed then */
extern PyObject fallback_marker;
#define FALLBACK (&fallback_marker)

/* the Python functions each C function falls back to, and Python state read once at setup */
extern PyObject *py_apply, *py_record, *py_wrap_any, *py_set_result, *one;
extern PyObject *quiet, *tick_fn, *several_fkeys;
extern PyTypeObject *Node_T, *Acc_T, *Tensor_T, *Storage_T, *PendingStorage_T, *Pending_T, *Array_T;
extern PyObject *state, *lazy_dict;
extern PyObject *pure_d, *avals_d, *known_consts, *default_dtype, *node_classes, *positions;
extern PyObject *node_class_fn, *diff_dtypes, *next_seq, *bits_fn, *default_devices_fn, *one_diff;
extern Py_ssize_t max_ops;
extern PyObject *s_lazy, *s_enabled, *s_aval, *s_dtype, *s_shape, *s_committed, *s_devices, *s_grad_name;
extern PyObject *s_saves, *s_saves_out, *s_current, *s_accumulator, *s_pre_hooks, *s_hooks, *s_retained, *s_seq;

/* slot offsets: Tensor (t_), AccumulateGrad (a_), Pending (p_), Node (n_), lazy._Segment (g_) */
extern Py_ssize_t t_s, t_v, t_rg, t_node, t_out_nr, t_grad, t_retains, t_hooks, t_acc;
extern Py_ssize_t a_variable;
extern Py_ssize_t p_aval, p_value, p_seg, p_k;
extern Py_ssize_t n_key, n_saved, n_avals, n_edges, n_checks, n_out_avals, n_seq;
extern Py_ssize_t g_ops, g_ext, g_ext_ids, g_ext_sig, g_values, g_storages, g_done, g_backward;

void set_slot(PyObject *o, Py_ssize_t off, PyObject *v);
int truthy(PyObject *o);

/* tensor.c: tensors and nodes made, results written in place */
PyObject *new_tensor(PyObject *storage, PyObject *node);
PyObject *saved_check(PyObject *a, PyObject *index);
PyObject *record_node(PyObject *cls, PyObject *spec, PyObject *fkey, PyObject *const *args, Py_ssize_t n,
                      PyObject **xs, PyObject **sig, PyObject *out_shape, PyObject *out_dtype, unsigned long diff);
PyObject *wrap_any(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
extern PyMethodDef set_result_def;

/* segment.c: an op deferred into the current segment */
typedef struct {
    PyObject *seg;              /* borrowed */
    PyObject *eid;              /* borrowed */
    Py_ssize_t n, nnew;
    PyObject *newx[MAXX];       /* arrays new to the segment, borrowed (the caller's xs hold them) */
    PyObject *newsig[MAXX];     /* their avals, owned */
    Py_ssize_t refs[MAXX];
    char is_ref[MAXX];
    PyObject *out;              /* borrowed from lazy._avals: (several outputs?, avals) */
} Prep;
void prep_clear(Prep *pr);
int prepare(Prep *pr, PyObject *seg, PyObject *eid, PyObject *const *xs, Py_ssize_t n, int recording);
PyObject *commit(Prep *pr);
PyObject *pending_storage(PyObject *p);
PyObject *current_segment(void);
PyObject *native_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *alive_indices(PyObject *self, PyObject *items);

/* apply.c: record.apply */
PyObject *native_apply(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* engine.c: the backward engine's planning */
PyObject *walk(PyObject *self, PyObject *roots);
PyObject *layout(PyObject *self, PyObject *args);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#endif
