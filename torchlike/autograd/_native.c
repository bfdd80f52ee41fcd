/* The recording path's common case in C: ``record.apply`` for an op deferred into the current
 * segment (``lazy.py``), with its node recorded as ``record._record`` does.
 *
 * A training step of small ops is bound by the Python that records each op (README, speed):
 * this file does the same work without the interpreter. ``record.apply`` (Python) stays the
 * specification: whatever this fast path does not handle (the first op of a segment, a new
 * constant, a new shape, an op that runs at the call, several outputs, mixed dtypes, a tensor
 * with another storage kind, ...) is passed to it unchanged, before anything is changed, so
 * both paths leave the same state. Every object is read and made as the Python path does:
 * Tensor, Node, Pending and _Segment slots are read and written through their member offsets,
 * found by name at setup (``setup``), so a renamed slot fails setup, not a step.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define MAXARGS 8

static PyObject *py_apply, *py_record, *py_wrap_any, *py_set_result, *one;
static PyObject *quiet, *tick_fn, *several_fkeys;  /* lazy._quiet, lazy.tick; fkeys of ops with several outputs */     /* record.apply and lazy.record in Python: the fallbacks */
static PyTypeObject *Node_T, *Acc_T, *Tensor_T, *Storage_T, *PendingStorage_T, *Pending_T, *Array_T;
static PyObject *state;                    /* grad_mode.state (thread-local) */
static PyObject *lazy_dict;                /* lazy's globals: _current changes per segment */
static PyObject *pure_d, *avals_d, *known_consts, *default_dtype, *node_classes, *positions;
static PyObject *node_class_fn, *diff_dtypes, *next_seq, *bits_fn, *default_devices_fn, *one_diff;
static Py_ssize_t max_ops;
static PyObject *s_lazy, *s_enabled, *s_aval, *s_dtype, *s_shape, *s_committed, *s_devices, *s_grad_name;
static PyObject *s_saves, *s_saves_out, *s_current, *s_accumulator, *s_pre_hooks, *s_hooks, *s_retained, *s_seq;

/* slot offsets */
static Py_ssize_t t_s, t_v, t_rg, t_node, t_out_nr, t_grad, t_retains, t_hooks, t_acc;
static Py_ssize_t a_variable;
static Py_ssize_t p_aval, p_value, p_seg, p_k;
static Py_ssize_t n_key, n_saved, n_avals, n_edges, n_checks, n_out_avals, n_seq;
static Py_ssize_t g_ops, g_ext, g_ext_ids, g_ext_sig, g_values, g_storages, g_done, g_backward;

#define SLOT(o, off) (*(PyObject **)((char *)(o) + (off)))

static void set_slot(PyObject *o, Py_ssize_t off, PyObject *v)  /* steals v */
{
    PyObject *old = SLOT(o, off);
    SLOT(o, off) = v;
    Py_XDECREF(old);
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

static int truthy(PyObject *o)
{
    if (o == Py_True) return 1;
    if (o == Py_False || o == Py_None) return 0;
    return PyObject_IsTrue(o);
}

/* Returned by fast() where the Python path must run instead; nothing has been changed then. */
#define FALLBACK ((PyObject *)&fallback_marker)
static PyObject fallback_marker;

static PyObject *new_tensor(PyObject *storage, PyObject *node)  /* steals storage */
{
    PyObject *t = Tensor_T->tp_alloc(Tensor_T, 0);
    if (t == NULL) { Py_DECREF(storage); return NULL; }
    PyObject *v = PyList_New(1);
    if (v == NULL) { Py_DECREF(storage); Py_DECREF(t); return NULL; }
    PyList_SET_ITEM(v, 0, PyLong_FromLong(0));
    SLOT(t, t_s) = storage;
    SLOT(t, t_v) = v;
    SLOT(t, t_rg) = Py_NewRef(node != Py_None ? Py_True : Py_False);
    SLOT(t, t_node) = Py_NewRef(node);
    SLOT(t, t_out_nr) = PyLong_FromLong(0);
    SLOT(t, t_grad) = Py_NewRef(Py_None);
    SLOT(t, t_retains) = Py_NewRef(Py_False);
    SLOT(t, t_hooks) = Py_NewRef(Py_None);
    SLOT(t, t_acc) = Py_NewRef(Py_None);
    return t;
}

/* [a._v, a._v[0], index, weakref(a)]: record.saved_check */
static PyObject *saved_check(PyObject *a, PyObject *index)
{
    PyObject *v = SLOT(a, t_v);
    PyObject *now = PySequence_GetItem(v, 0);
    if (now == NULL) return NULL;
    PyObject *ref = PyWeakref_NewRef(a, NULL);
    if (ref == NULL) { Py_DECREF(now); return NULL; }
    PyObject *c = PyList_New(4);
    if (c == NULL) { Py_DECREF(now); Py_DECREF(ref); return NULL; }
    PyList_SET_ITEM(c, 0, Py_NewRef(v));
    PyList_SET_ITEM(c, 1, now);
    PyList_SET_ITEM(c, 2, Py_NewRef(index));
    PyList_SET_ITEM(c, 3, ref);
    return c;
}

/* record._record for one differentiable output ``aval`` (shape, dtype) */
static PyObject *record_node(PyObject *cls, PyObject *spec, PyObject *fkey, PyObject *const *args, Py_ssize_t n,
                             PyObject **xs, PyObject **sig, PyObject *out_shape, PyObject *out_dtype)
{
    PyObject *node = NULL, *edges = NULL, *checks = NULL, *saved = NULL, *avals = NULL, *saves = NULL;
    PyObject *seq = NULL, *pos = NULL;
    unsigned long diff = 0;
    node = ((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
    if (node == NULL) goto error;
    seq = PyObject_CallNoArgs(next_seq);
    if (seq == NULL) goto error;
    set_slot(node, n_seq, seq);
    edges = PyList_New(n);
    checks = PyList_New(0);
    saved = PyList_New(n);
    avals = PyTuple_New(n);
    if (edges == NULL || checks == NULL || saved == NULL || avals == NULL) goto error;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyList_SET_ITEM(saved, i, Py_NewRef(xs[i]));
        PyTuple_SET_ITEM(avals, i, Py_NewRef(Py_None));
        PyList_SET_ITEM(edges, i, Py_NewRef(Py_None));
    }
    saves = PyObject_GetAttr(spec, s_saves);
    if (saves == NULL) goto error;
    if (PyDict_CheckExact(saves)) {  /* kept only where an input whose gradient reads it requires grad */
        unsigned long needs = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!PyObject_TypeCheck(args[i], Tensor_T)) continue;
            int r = truthy(SLOT(args[i], t_rg));
            if (r < 0) goto error;
            if (r) needs |= 1UL << i;
        }
        PyObject *kept = PyList_New(0), *k, *readers;
        Py_ssize_t pos = 0;
        if (kept == NULL) goto error;
        while (PyDict_Next(saves, &pos, &k, &readers)) {
            PyObject *it = PyObject_GetIter(readers), *j;
            if (it == NULL) { Py_DECREF(kept); goto error; }
            int keep = 0;
            while (!keep && (j = PyIter_Next(it)) != NULL) {
                long jj = PyLong_AsLong(j);
                Py_DECREF(j);
                if (jj == -1 && PyErr_Occurred()) break;
                keep = jj >= 0 && jj < (long)(8 * sizeof needs) && (needs >> jj & 1);
            }
            Py_DECREF(it);
            if (PyErr_Occurred() || (keep && PyList_Append(kept, k) < 0)) { Py_DECREF(kept); goto error; }
        }
        Py_SETREF(saves, kept);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = args[i];
        if (!PyObject_TypeCheck(a, Tensor_T)) continue;
        int rg = truthy(SLOT(a, t_rg));
        if (rg < 0) goto error;
        if (rg) {
            PyObject *prev = SLOT(a, t_node), *edge;
            if (prev != Py_None) {
                edge = PyTuple_Pack(2, prev, SLOT(a, t_out_nr));
            } else {
                PyObject *acc = SLOT(a, t_acc);
                int has = truthy(acc);
                if (has < 0) goto error;
                acc = has ? Py_NewRef(acc) : PyObject_CallMethodNoArgs(a, s_accumulator);
                if (acc == NULL) goto error;
                PyObject *zero = PyLong_FromLong(0);
                edge = PyTuple_Pack(2, acc, zero);
                Py_DECREF(acc);
                Py_DECREF(zero);
            }
            if (edge == NULL) goto error;
            PyList_SetItem(edges, i, edge);
            diff |= 1UL << i;
        }
        int keep = saves == Py_None;
        if (!keep) {
            PyObject *idx = PyLong_FromSsize_t(i);
            if (idx == NULL) goto error;
            keep = PySequence_Contains(saves, idx);
            Py_DECREF(idx);
            if (keep < 0) goto error;
        }
        if (!keep) {
            keep = !PySet_Contains(diff_dtypes, sig[i]);  /* integer and bool inputs are always read */
            if (keep < 0) goto error;
        }
        if (keep) {
            PyObject *idx = PyLong_FromSsize_t(i);
            if (idx == NULL) goto error;
            PyObject *c = saved_check(a, idx);
            Py_DECREF(idx);
            if (c == NULL || PyList_Append(checks, c) < 0) { Py_XDECREF(c); goto error; }
            Py_DECREF(c);
        } else {
            PyObject *aval = PyObject_GetAttr(xs[i], s_aval);
            if (aval == NULL) goto error;
            PyObject *shape = PyObject_GetAttr(aval, s_shape);
            Py_DECREF(aval);
            if (shape == NULL) goto error;
            PyObject *av = PyTuple_Pack(2, shape, sig[i]);
            Py_DECREF(shape);
            if (av == NULL) goto error;
            PyTuple_SetItem(avals, i, av);
            PyList_SetItem(saved, i, Py_NewRef(Py_None));
        }
    }
    PyObject *mask = PyLong_FromUnsignedLong(diff);
    if (mask == NULL) goto error;
    pos = PyDict_GetItemWithError(positions, mask);
    if (pos != NULL) {
        Py_INCREF(pos);
    } else if (!PyErr_Occurred()) {
        pos = PyObject_CallOneArg(bits_fn, mask);
    }
    Py_DECREF(mask);
    if (pos == NULL) goto error;
    PyObject *key = PyTuple_Pack(4, fkey, pos, avals, one_diff);
    if (key == NULL) goto error;
    set_slot(node, n_key, key);
    PyObject *out_aval = PyTuple_Pack(3, out_shape, out_dtype, Py_True);
    if (out_aval == NULL) goto error;
    PyObject *out = PyTuple_Pack(1, out_aval);
    Py_DECREF(out_aval);
    if (out == NULL) goto error;
    set_slot(node, n_out_avals, out);
    set_slot(node, n_saved, saved);
    set_slot(node, n_avals, avals);
    set_slot(node, n_edges, edges);
    set_slot(node, n_checks, checks);
    Py_DECREF(saves);
    Py_DECREF(pos);
    return node;
error:
    Py_XDECREF(node); Py_XDECREF(edges); Py_XDECREF(checks); Py_XDECREF(saved); Py_XDECREF(avals);
    Py_XDECREF(saves); Py_XDECREF(pos);
    return NULL;
}

/* lazy.record's work for one op, split so that nothing changes until every check has passed:
 * ``prepare`` finds each input's reference and the op's output avals, ``commit`` appends the op. */
#define MAXX 256
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

static void prep_clear(Prep *pr)
{
    for (Py_ssize_t k = 0; k < pr->nnew; k++) Py_DECREF(pr->newsig[k]);
    pr->nnew = 0;
}

/* 1: ready to commit; 0: the Python path must run; -1: an error. ``recording``: the op records
 * a node (a forward op cannot join a segment that holds a backward pass). */
static int prepare(Prep *pr, PyObject *seg, PyObject *eid, PyObject *const *xs, Py_ssize_t n, int recording)
{
    pr->seg = seg;
    pr->eid = eid;
    pr->n = n;
    pr->nnew = 0;
    if (n > MAXX || seg == Py_None) return 0;
    PyObject *ops = SLOT(seg, g_ops), *ext_ids = SLOT(seg, g_ext_ids), *ext_sig = SLOT(seg, g_ext_sig);
    PyObject *storages = SLOT(seg, g_storages);
    if (ops == NULL || !PyList_CheckExact(ops) || PyList_GET_SIZE(ops) >= max_ops) return 0;
    if (recording) {
        int b = truthy(SLOT(seg, g_backward));
        if (b != 0) return b < 0 ? -1 : 0;
    }
    if (SLOT(seg, g_done) != Py_False || storages == NULL || !PyList_CheckExact(storages)) return 0;
    Py_ssize_t ext_len = PyList_GET_SIZE(SLOT(seg, g_ext));
    PyObject *key = PyTuple_New(n + 1);
    if (key == NULL) return -1;
    PyTuple_SET_ITEM(key, 0, Py_NewRef(eid));
    Py_ssize_t nk = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = xs[i], *xsig;
        pr->is_ref[i] = 0;
        if (x == Py_None) continue;
        if (Py_IS_TYPE(x, Pending_T)) {
            if (SLOT(x, p_seg) != seg || SLOT(x, p_value) != Py_None) goto fallback;
            pr->refs[i] = PyLong_AsSsize_t(SLOT(x, p_k));
            if (pr->refs[i] == -1 && PyErr_Occurred()) goto error;
            xsig = SLOT(x, p_aval);
        } else if (Py_IS_TYPE(x, Array_T)) {
            PyObject *id = PyLong_FromVoidPtr(x);
            if (id == NULL) goto error;
            PyObject *j = PyDict_GetItemWithError(ext_ids, id);
            Py_DECREF(id);
            if (j != NULL) {
                Py_ssize_t jj = PyLong_AsSsize_t(j);
                if (jj == -1 && PyErr_Occurred()) goto error;
                pr->refs[i] = ~jj;
                xsig = PyList_GetItem(ext_sig, jj);
                if (xsig == NULL) goto error;
            } else {
                if (PyErr_Occurred()) goto error;
                Py_ssize_t k;
                for (k = 0; k < pr->nnew && pr->newx[k] != x; k++) {}
                if (k == pr->nnew) {  /* new to the segment: only arrays on the default device */
                    PyObject *c = PyObject_GetAttr(x, s_committed);
                    if (c == NULL) goto error;
                    int committed = truthy(c);
                    Py_DECREF(c);
                    if (committed < 0) goto error;
                    if (committed) {
                        PyObject *devs = PyObject_CallMethodNoArgs(x, s_devices);
                        if (devs == NULL) goto error;
                        PyObject *dflt = PyObject_CallNoArgs(default_devices_fn);
                        if (dflt == NULL) { Py_DECREF(devs); goto error; }
                        int same = PyObject_RichCompareBool(devs, dflt, Py_EQ);
                        Py_DECREF(devs);
                        Py_DECREF(dflt);
                        if (same <= 0) { if (same < 0) goto error; goto fallback; }
                    }
                    PyObject *aval = PyObject_GetAttr(x, s_aval);
                    if (aval == NULL) goto error;
                    pr->newx[k] = x;
                    pr->newsig[k] = aval;
                    pr->nnew++;
                }
                pr->refs[i] = ~(ext_len + k);
                xsig = pr->newsig[k];
            }
        } else {
            goto fallback;   /* a Python scalar, a NumPy array, another segment's value, a tracer */
        }
        pr->is_ref[i] = 1;
        PyTuple_SET_ITEM(key, nk++, Py_NewRef(xsig));
    }
    if (_PyTuple_Resize(&key, nk) < 0) goto error;
    pr->out = PyDict_GetItemWithError(avals_d, key);
    Py_DECREF(key);
    if (pr->out == NULL) {  /* its avals are not known yet: the Python path traces it */
        prep_clear(pr);
        return PyErr_Occurred() ? -1 : 0;
    }
    if (!PyTuple_CheckExact(pr->out) || PyTuple_GET_SIZE(pr->out) != 2) {  /* None: not deferrable */
        prep_clear(pr);
        return 0;
    }
    return 1;
fallback:
    Py_XDECREF(key);
    prep_clear(pr);
    return 0;
error:
    Py_XDECREF(key);
    prep_clear(pr);
    return -1;
}

static PyObject *new_pending(PyObject *aval, PyObject *seg, PyObject *values)
{
    PyObject *p = Pending_T->tp_alloc(Pending_T, 0);
    if (p == NULL) return NULL;
    SLOT(p, p_aval) = Py_NewRef(aval);
    SLOT(p, p_value) = Py_NewRef(Py_None);
    SLOT(p, p_seg) = Py_NewRef(seg);
    SLOT(p, p_k) = PyLong_FromSsize_t(PyList_GET_SIZE(values));
    if (SLOT(p, p_k) == NULL || PyList_Append(values, p) < 0) { Py_DECREF(p); return NULL; }
    return p;
}

/* Appends the prepared op to its segment; returns its Pending, or a tuple of them. */
static PyObject *commit(Prep *pr)
{
    PyObject *seg = pr->seg, *ext = SLOT(seg, g_ext), *ext_ids = SLOT(seg, g_ext_ids);
    PyObject *ext_sig = SLOT(seg, g_ext_sig), *values = SLOT(seg, g_values), *result = NULL;
    for (Py_ssize_t k = 0; k < pr->nnew; k++) {
        PyObject *id = PyLong_FromVoidPtr(pr->newx[k]);
        PyObject *j = PyLong_FromSsize_t(PyList_GET_SIZE(ext));
        int bad = id == NULL || j == NULL || PyDict_SetItem(ext_ids, id, j) < 0;
        Py_XDECREF(id);
        Py_XDECREF(j);
        if (bad || PyList_Append(ext, pr->newx[k]) < 0 || PyList_Append(ext_sig, pr->newsig[k]) < 0) goto done;
    }
    PyObject *rt = PyTuple_New(pr->n);
    if (rt == NULL) goto done;
    for (Py_ssize_t i = 0; i < pr->n; i++)
        PyTuple_SET_ITEM(rt, i, pr->is_ref[i] ? PyLong_FromSsize_t(pr->refs[i]) : Py_NewRef(Py_None));
    PyObject *several = PyTuple_GET_ITEM(pr->out, 0), *out_avals = PyTuple_GET_ITEM(pr->out, 1);
    PyObject *op = PyTuple_Pack(3, pr->eid, rt, several);
    Py_DECREF(rt);
    if (op == NULL || PyList_Append(SLOT(seg, g_ops), op) < 0) { Py_XDECREF(op); goto done; }
    Py_DECREF(op);
    if (several != Py_True) {
        result = new_pending(out_avals, seg, values);
        goto done;
    }
    Py_ssize_t m = PyTuple_GET_SIZE(out_avals);
    result = PyTuple_New(m);
    if (result == NULL) goto done;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *p = new_pending(PyTuple_GET_ITEM(out_avals, i), seg, values);
        if (p == NULL) { Py_CLEAR(result); goto done; }
        PyTuple_SET_ITEM(result, i, p);
    }
done:
    prep_clear(pr);
    return result;
}

/* A deferred result's storage, appended to its segment's storages: the Pending ``p`` of the
 * current segment, else NULL (the Python path). */
static PyObject *pending_storage(PyObject *p)
{
    if (!Py_IS_TYPE(p, Pending_T) || SLOT(p, p_value) != Py_None) return NULL;
    PyObject *storages = SLOT(SLOT(p, p_seg), g_storages);
    if (storages == NULL || !PyList_CheckExact(storages)) return NULL;
    PyObject *s = PendingStorage_T->tp_alloc(PendingStorage_T, 0);
    if (s == NULL || PyList_Append(s, p) < 0 || PyList_Append(storages, s) < 0) {
        Py_XDECREF(s);
        return NULL;
    }
    return s;
}

static PyObject *current_segment(void)  /* borrowed, or NULL with an error set */
{
    PyObject *seg = PyDict_GetItemWithError(lazy_dict, s_current);
    if (seg == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "lazy._current is missing");
    return seg;
}

static PyObject *fast(PyObject *spec, PyObject *targs, PyObject *statics)
{
    PyObject *xs[MAXARGS], *sig[MAXARGS];
    Py_ssize_t n, i;
    PyObject *result = FALLBACK;
    PyObject *fkey = NULL, *lazy = NULL, *enabled_o = NULL, *first = NULL;
    PyObject *grad_name = NULL, *cls = NULL, *node = NULL, *out_dtype = NULL, *out = NULL, *out_aval = NULL;
    PyObject *seg = NULL;
    int rg = 0, enabled, record, with_node = 0, ready, prepared = 0;
    Prep pr;

    if (!PyTuple_CheckExact(targs)) return FALLBACK;
    n = PyTuple_GET_SIZE(targs);
    if (n > MAXARGS) return FALLBACK;
    PyObject *const *args = &PyTuple_GET_ITEM(targs, 0);
    for (i = 0; i < n; i++) xs[i] = sig[i] = NULL;

    lazy = PyObject_GetAttr(state, s_lazy);
    if (lazy == NULL) goto error;
    int deferring = lazy == Py_True;   /* else the op runs at the call */
    if (deferring) {
        seg = current_segment();
        if (seg == NULL) goto error;
        if (seg == Py_None) goto done;
    }

    for (i = 0; i < n; i++) {
        PyObject *a = args[i];
        if (PyObject_TypeCheck(a, Tensor_T)) {
            PyObject *s = SLOT(a, t_s), *arr, *aval;
            if (s == NULL || !(Py_IS_TYPE(s, PendingStorage_T) || Py_IS_TYPE(s, Storage_T))
                    || PyList_GET_SIZE(s) < 1)
                goto done;   /* shared with NumPy, in another layout: the Python path */
            arr = PyList_GET_ITEM(s, 0);
            if (Py_IS_TYPE(s, PendingStorage_T)) {
                if (!deferring || !Py_IS_TYPE(arr, Pending_T)) goto done;
                aval = Py_NewRef(SLOT(arr, p_aval));
            } else if (Py_IS_TYPE(arr, Array_T)) {
                aval = PyObject_GetAttr(arr, s_aval);
                if (aval == NULL) goto error;
            } else {
                goto done;
            }
            PyObject *dt = PyObject_GetAttr(aval, s_dtype);
            Py_DECREF(aval);
            if (dt == NULL) goto error;
            sig[i] = dt;
            if (first == NULL) first = dt;
            else if (dt != first) goto done;   /* mixed dtypes: promotion reads more */
            int r = truthy(SLOT(a, t_rg));
            if (r < 0) goto error;
            rg |= r;
            xs[i] = Py_NewRef(arr);
        } else if (a == Py_None) {
            xs[i] = Py_NewRef(Py_None);
            sig[i] = Py_NewRef(Py_None);
        } else {
            /* only a constant already compiled in: a new one is counted by the Python path */
            if (!(PyFloat_CheckExact(a) || PyLong_CheckExact(a) || PyBool_Check(a) || PyComplex_CheckExact(a)))
                goto done;
            int t = PyObject_IsTrue(a);
            if (t <= 0) { if (t < 0) goto error; goto done; }
            PyObject *ck = PyTuple_New(4);
            if (ck == NULL) goto error;
            PyTuple_SET_ITEM(ck, 0, Py_NewRef(spec));
            PyTuple_SET_ITEM(ck, 1, PyLong_FromSsize_t(i));
            PyTuple_SET_ITEM(ck, 2, Py_NewRef((PyObject *)Py_TYPE(a)));
            PyTuple_SET_ITEM(ck, 3, Py_NewRef(a));
            int known = PySet_Contains(known_consts, ck);
            Py_DECREF(ck);
            if (known <= 0) { if (known < 0) goto error; goto done; }
            xs[i] = Py_NewRef(Py_None);
            sig[i] = PyTuple_Pack(2, (PyObject *)Py_TYPE(a), a);
            if (sig[i] == NULL) goto error;
        }
    }

    /* fkey = (spec, statics, key_sig, default dtype) */
    {
        PyObject *key_sig = PyTuple_New(n);
        if (key_sig == NULL) goto error;
        for (i = 0; i < n; i++) PyTuple_SET_ITEM(key_sig, i, Py_NewRef(sig[i]));
        PyObject *dd = PyList_GetItem(default_dtype, 0);
        if (dd == NULL) { Py_DECREF(key_sig); goto error; }
        fkey = PyTuple_Pack(4, spec, statics, key_sig, dd);
        Py_DECREF(key_sig);
        if (fkey == NULL) goto error;
    }
    PyObject *entry = PyDict_GetItemWithError(pure_d, fkey);  /* borrowed */
    if (entry == NULL) { PyErr_Clear(); goto done; }           /* new, or unhashable statics */
    if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 3) goto done;
    PyObject *eid = PyTuple_GET_ITEM(entry, 2);
    if (eid == Py_None) goto done;

    enabled_o = PyObject_GetAttr(state, s_enabled);
    if (enabled_o == NULL) goto error;
    enabled = truthy(enabled_o);
    if (enabled < 0) goto error;
    record = rg && enabled;

    if (deferring) {
        ready = prepare(&pr, seg, eid, xs, n, record);
        if (ready <= 0) { if (ready < 0) goto error; goto done; }
        if (PyTuple_GET_ITEM(pr.out, 0) != Py_False) { prep_clear(&pr); goto done; }  /* several outputs */
        prepared = 1;
        out_aval = Py_NewRef(PyTuple_GET_ITEM(pr.out, 1));
    } else {
        /* the op's jitted function now; it changes nothing of torchlike's, so where its result is
         * not one array, or it raises, the Python path can run it again */
        int multi = PySet_Contains(several_fkeys, fkey);
        if (multi != 0) { if (multi < 0) goto error; goto done; }
        out = PyObject_Vectorcall(PyTuple_GET_ITEM(entry, 1), xs, n, NULL);
        if (out == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception)) goto error;
            PyErr_Clear();   /* PyTorch's error, or arrays moved between devices: the Python path */
            goto done;
        }
        if (!Py_IS_TYPE(out, Array_T)) {  /* several outputs: from now on the Python path at once */
            if (PySet_Add(several_fkeys, fkey) < 0) goto error;
            goto done;
        }
        out_aval = PyObject_GetAttr(out, s_aval);
        if (out_aval == NULL) goto error;
        int left = truthy(PyList_GET_ITEM(quiet, 0));
        if (left < 0) goto error;
        if (left) {  /* lazy.tick(): ops left to run at the call */
            PyObject *r = PyObject_CallNoArgs(tick_fn);
            if (r == NULL) goto error;
            Py_DECREF(r);
        }
    }

    if (record) {
        grad_name = PyObject_GetAttr(spec, s_grad_name);
        if (grad_name == NULL) goto error;
        if (grad_name != Py_None) {
            out_dtype = PyObject_GetAttr(out_aval, s_dtype);
            if (out_dtype == NULL) goto error;
            with_node = PySet_Contains(diff_dtypes, out_dtype);
            if (with_node < 0) goto error;
            if (with_node) {  /* the grad_fn class, by name, or by the overload PyTorch picks */
                PyObject *name = PyUnicode_CheckExact(grad_name) ? Py_NewRef(grad_name)
                                 : PyObject_CallFunctionObjArgs(grad_name, targs, statics, NULL);
                if (name == NULL) goto error;
                cls = PyUnicode_CheckExact(name) ? PyDict_GetItemWithError(node_classes, name) : NULL;
                if (cls != NULL) Py_INCREF(cls);
                else if (!PyErr_Occurred()) cls = PyObject_CallOneArg(node_class_fn, name);
                Py_DECREF(name);
                if (cls == NULL) goto error;
            }
        }
    }

    /* nothing has changed so far; from here on the op is recorded */
    {
        PyObject *s, *value = out;
        if (deferring) {
            prepared = 0;
            if ((value = commit(&pr)) == NULL) goto error;
        } else {
            Py_INCREF(value);
        }
        if (with_node) {
            PyObject *shape = PyObject_GetAttr(out_aval, s_shape);
            if (shape == NULL) { Py_DECREF(value); goto error; }
            node = record_node(cls, spec, fkey, args, n, xs, sig, shape, out_dtype);
            Py_DECREF(shape);
            if (node == NULL) { Py_DECREF(value); goto error; }
        }
        if (deferring) {
            s = pending_storage(value);
            if (s == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "segment ended while recording");
        } else {
            s = Storage_T->tp_alloc(Storage_T, 0);
            if (s != NULL && PyList_Append(s, value) < 0) Py_CLEAR(s);
        }
        Py_DECREF(value);
        if (s == NULL) goto error;
        result = new_tensor(s, node != NULL ? node : Py_None);
        if (result != NULL && node != NULL) {
            PyObject *so = PyObject_GetAttr(spec, s_saves_out);
            int keep = so == NULL ? -1 : truthy(so);
            Py_XDECREF(so);
            PyObject *c = keep > 0 ? saved_check(result, Py_None) : NULL;
            if (keep < 0 || (keep > 0 && (c == NULL || PyList_Append(SLOT(node, n_checks), c) < 0)))
                Py_CLEAR(result);
            Py_XDECREF(c);
        }
    }
    goto done;

error:
    result = NULL;
done:
    if (prepared) prep_clear(&pr);
    for (i = 0; i < n; i++) { Py_XDECREF(xs[i]); Py_XDECREF(sig[i]); }
    Py_XDECREF(fkey); Py_XDECREF(lazy); Py_XDECREF(enabled_o); Py_XDECREF(out_dtype);
    Py_XDECREF(out); Py_XDECREF(out_aval);
    Py_XDECREF(grad_name); Py_XDECREF(cls); Py_XDECREF(node);
    return result;
}

/* lazy.record(entry, xs, recording=False): its common case, every input an array, a value of
 * the current segment or None (a fused backward pass, an optimizer's update) */
static PyObject *native_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs >= 2 && nargs <= 3 && PyTuple_CheckExact(args[0]) && PyTuple_GET_SIZE(args[0]) == 3
            && PyList_CheckExact(args[1])) {
        PyObject *eid = PyTuple_GET_ITEM(args[0], 2), *seg = current_segment();
        if (seg == NULL) return NULL;
        int recording = nargs == 3 ? truthy(args[2]) : 0;
        if (recording < 0) return NULL;
        Prep pr;
        int ready = eid == Py_None ? 0 : prepare(&pr, seg, eid, &PyList_GET_ITEM(args[1], 0),
                                                 PyList_GET_SIZE(args[1]), recording);
        if (ready < 0) return NULL;
        if (ready) return commit(&pr);
    }
    return PyObject_Vectorcall(py_record, args, nargs, NULL);
}

/* lazy._alive_indices: indices of the items of a list that something else refers to */
static PyObject *alive_indices(PyObject *self, PyObject *items)
{
    if (!PyList_CheckExact(items)) {
        PyErr_SetString(PyExc_TypeError, "alive_indices() takes a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(items), m = 0;
    PyObject *out = PyTuple_New(n);
    if (out == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (Py_REFCNT(PyList_GET_ITEM(items, k)) > 1) {
            PyObject *i = PyLong_FromSsize_t(k);
            if (i == NULL) { Py_DECREF(out); return NULL; }
            PyTuple_SET_ITEM(out, m++, i);
        }
    }
    if (_PyTuple_Resize(&out, m) < 0) return NULL;
    return out;
}

/* -- results into tensors ----------------------------------------------------------------------- */

/* record.wrap_any(x): a Tensor without a node over a deferred result, in C where it is one of a
 * segment still recording (a backward pass's gradients) */
static PyObject *wrap_any(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs == 1) {
        PyObject *s = pending_storage(args[0]);
        if (s != NULL) return new_tensor(s, Py_None);
        if (PyErr_Occurred()) return NULL;
    }
    return PyObject_Vectorcall(py_wrap_any, args, nargs, NULL);
}

static void set_class(PyObject *o, PyTypeObject *type)  /* o.__class__ = type, for storages */
{
    PyTypeObject *old = Py_TYPE(o);
    Py_INCREF(type);
    Py_SET_TYPE(o, type);
    Py_DECREF(old);
}

/* Tensor._set_result(result): in C where ``result`` is a deferred op's result without a node
 * and of ``self``'s dtype and shape (an optimizer's or a no_grad update) */
static PyObject *set_result(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 1 || !PyObject_TypeCheck(args[0], Tensor_T) || SLOT(args[0], t_node) != Py_None) goto python;
    PyObject *rs = SLOT(args[0], t_s), *ts = SLOT(self, t_s);
    if (rs == NULL || ts == NULL || !Py_IS_TYPE(rs, PendingStorage_T) || PyList_GET_SIZE(rs) < 1
            || !(Py_IS_TYPE(ts, Storage_T) || Py_IS_TYPE(ts, PendingStorage_T)) || PyList_GET_SIZE(ts) < 1)
        goto python;
    PyObject *p = PyList_GET_ITEM(rs, 0), *mine = PyList_GET_ITEM(ts, 0);
    if (!Py_IS_TYPE(p, Pending_T) || SLOT(p, p_value) != Py_None) goto python;
    PyObject *seg = SLOT(p, p_seg), *storages = SLOT(seg, g_storages), *mine_aval;
    if (storages == NULL || !PyList_CheckExact(storages)) goto python;
    if (Py_IS_TYPE(mine, Pending_T)) mine_aval = Py_NewRef(SLOT(mine, p_aval));
    else if (Py_IS_TYPE(mine, Array_T)) {
        if ((mine_aval = PyObject_GetAttr(mine, s_aval)) == NULL) return NULL;
    } else goto python;
    PyObject *aval = SLOT(p, p_aval);
    int same = aval == mine_aval;
    if (!same) {
        PyObject *d1 = PyObject_GetAttr(aval, s_dtype), *d2 = PyObject_GetAttr(mine_aval, s_dtype);
        PyObject *s1 = PyObject_GetAttr(aval, s_shape), *s2 = PyObject_GetAttr(mine_aval, s_shape);
        same = d1 && d2 && s1 && s2 && d1 == d2 ? PyObject_RichCompareBool(s1, s2, Py_EQ) : 0;
        Py_XDECREF(d1); Py_XDECREF(d2); Py_XDECREF(s1); Py_XDECREF(s2);
        if (PyErr_Occurred()) { Py_DECREF(mine_aval); return NULL; }
    }
    Py_DECREF(mine_aval);
    if (same <= 0) goto python;
    /* _store(self._s, p) */
    int tracked = 0;
    if (Py_IS_TYPE(ts, PendingStorage_T))
        tracked = Py_IS_TYPE(mine, Pending_T) && SLOT(mine, p_seg) == seg && SLOT(mine, p_value) == Py_None;
    else
        set_class(ts, PendingStorage_T);
    Py_INCREF(p);
    PyList_SET_ITEM(ts, 0, p);
    Py_DECREF(mine);
    if (!tracked && PyList_Append(storages, ts) < 0) return NULL;
    /* self._v[0] += 1 */
    PyObject *v = SLOT(self, t_v), *now = PySequence_GetItem(v, 0);
    if (now == NULL) return NULL;
    PyObject *next = PyNumber_Add(now, one);
    Py_DECREF(now);
    if (next == NULL) return NULL;
    int bad = PySequence_SetItem(v, 0, next);
    Py_DECREF(next);
    if (bad < 0) return NULL;
    return Py_NewRef(self);
python:
    {
        PyObject *call[4] = {self};
        if (nargs > 3) {
            PyErr_Format(PyExc_TypeError, "_set_result() takes 2 positional arguments but %zd were given", nargs + 1);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < nargs; i++) call[i + 1] = args[i];
        return PyObject_Vectorcall(py_set_result, call, nargs + 1, NULL);
    }
}

static PyMethodDef set_result_def = {"_set_result", (PyCFunction)(void (*)(void))set_result, METH_FASTCALL,
                                     "Makes ``self`` hold ``result`` in place (Tensor._set_result)."};

/* -- the backward engine's planning (engine._walk, engine._Layout) ------------------------------ */

static int acc_hooked(PyObject *acc)  /* an AccumulateGrad's leaf has tensor hooks */
{
    PyObject *v = SLOT(acc, a_variable);
    if (v == NULL || !PyObject_TypeCheck(v, Tensor_T)) return 1;
    PyObject *h = SLOT(v, t_hooks);
    return h == NULL ? 1 : truthy(h);
}

static int attr_truthy(PyObject *o, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(o, name);
    if (v == NULL) return -1;
    int t = truthy(v);
    Py_DECREF(v);
    return t;
}

typedef struct { long long seq; PyObject *node; } Seq;

static int by_seq_desc(const void *a, const void *b)
{
    long long x = ((const Seq *)a)->seq, y = ((const Seq *)b)->seq;
    return (x < y) - (x > y);
}

/* engine._walk(roots): see there; None where the graph holds a node or edge of another kind */
static PyObject *walk(PyObject *self, PyObject *roots)
{
    if (!PyList_CheckExact(roots)) {
        PyErr_SetString(PyExc_TypeError, "walk() takes a list of edges");
        return NULL;
    }
    PyObject *order = PyList_New(0), *seen = PySet_New(NULL), *result = NULL;
    Seq *seqs = NULL;
    int hooked = 0;
    if (order == NULL || seen == NULL) goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(roots); i++) {
        PyObject *e = PyList_GET_ITEM(roots, i);
        if (!PyTuple_CheckExact(e) || PyTuple_GET_SIZE(e) != 2) goto python;
        PyObject *t = PyTuple_GET_ITEM(e, 0);
        if (Py_IS_TYPE(t, Acc_T)) {
            int h = acc_hooked(t);
            if (h < 0) goto done;
            hooked |= h;
            continue;
        }
        int in = PySet_Contains(seen, t);
        if (in < 0 || (!in && (PySet_Add(seen, t) < 0 || PyList_Append(order, t) < 0))) goto done;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(order); k++) {  /* grows as it goes */
        PyObject *n = PyList_GET_ITEM(order, k);
        if (!PyObject_TypeCheck(n, Node_T)) goto python;
        int h = attr_truthy(n, s_pre_hooks);
        if (h < 0) goto done;
        if (!h && (h = attr_truthy(n, s_hooks)) < 0) goto done;
        if (h || SLOT(n, n_key) == NULL || SLOT(n, n_key) == Py_None) hooked = 1;
        PyObject *edges = SLOT(n, n_edges);
        if (edges == NULL || !PyList_CheckExact(edges)) goto python;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(edges); j++) {
            PyObject *e = PyList_GET_ITEM(edges, j);
            if (e == Py_None) continue;
            if (!PyTuple_CheckExact(e) || PyTuple_GET_SIZE(e) != 2) goto python;
            PyObject *t = PyTuple_GET_ITEM(e, 0);
            if (Py_IS_TYPE(t, Acc_T)) {
                int ah = acc_hooked(t);
                if (ah < 0) goto done;
                hooked |= ah;
                continue;
            }
            int in = PySet_Contains(seen, t);
            if (in < 0 || (!in && (PySet_Add(seen, t) < 0 || PyList_Append(order, t) < 0))) goto done;
        }
    }
    /* latest first: each node runs after every node it feeds gradient from */
    Py_ssize_t m = PyList_GET_SIZE(order);
    seqs = PyMem_Malloc(sizeof(Seq) * (m ? m : 1));
    if (seqs == NULL) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *n = PyList_GET_ITEM(order, k), *seq = PyObject_GetAttr(n, s_seq);
        if (seq == NULL) goto done;
        seqs[k].seq = PyLong_AsLongLong(seq);
        Py_DECREF(seq);
        if (seqs[k].seq == -1 && PyErr_Occurred()) goto done;
        seqs[k].node = n;
    }
    qsort(seqs, m, sizeof(Seq), by_seq_desc);
    for (Py_ssize_t k = 0; k < m; k++) PyList_SET_ITEM(order, k, seqs[k].node);  /* the same references */
    result = Py_BuildValue("(OO)", order, hooked ? Py_True : Py_False);
    goto done;
python:  /* a node or edge of another kind: the Python walk */
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(seqs);
    Py_XDECREF(order);
    Py_XDECREF(seen);
    return result;
}

/* engine._Layout's fields for a plan that runs every node and wants no particular leaf
 * (backward() without inputs=): (steps, flat, sizes, leaves, leaf_index, index, roots); None
 * where a node retains a gradient (the Python path adds the captures). */
static PyObject *leaf_target(PyObject *acc, PyObject *leaves, PyObject *leaf_index)
{
    PyObject *j = PyDict_GetItemWithError(leaf_index, acc);
    if (j != NULL) return Py_BuildValue("(sO)", "l", j);
    if (PyErr_Occurred()) return NULL;
    PyObject *nj = PyLong_FromSsize_t(PyList_GET_SIZE(leaves));
    if (nj == NULL || PyDict_SetItem(leaf_index, acc, nj) < 0 || PyList_Append(leaves, acc) < 0) {
        Py_XDECREF(nj);
        return NULL;
    }
    PyObject *t = Py_BuildValue("(sO)", "l", nj);
    Py_DECREF(nj);
    return t;
}

static PyObject *node_target(PyObject *e, PyObject *index, PyObject *leaves, PyObject *leaf_index)
{
    PyObject *t = PyTuple_GET_ITEM(e, 0);
    if (Py_IS_TYPE(t, Acc_T)) return leaf_target(t, leaves, leaf_index);
    PyObject *k = PyDict_GetItemWithError(index, t);
    if (k == NULL) return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    return Py_BuildValue("(sOO)", "n", k, PyTuple_GET_ITEM(e, 1));
}

static PyObject *layout(PyObject *self, PyObject *args)
{
    PyObject *order, *root_edges;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &order, &PyList_Type, &root_edges)) return NULL;
    Py_ssize_t m = PyList_GET_SIZE(order);
    PyObject *index = PyDict_New(), *leaves = PyList_New(0), *leaf_index = PyDict_New();
    PyObject *steps = PyTuple_New(m), *flat = PyList_New(0), *sizes = PyTuple_New(m), *roots = NULL;
    PyObject *result = NULL;
    if (!index || !leaves || !leaf_index || !steps || !flat || !sizes) goto done;
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *kk = PyLong_FromSsize_t(k);
        if (kk == NULL || PyDict_SetItem(index, PyList_GET_ITEM(order, k), kk) < 0) { Py_XDECREF(kk); goto done; }
        Py_DECREF(kk);
    }
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *n = PyList_GET_ITEM(order, k);
        int r = attr_truthy(n, s_retained);
        if (r != 0) { if (r > 0) result = Py_NewRef(Py_None); goto done; }
        PyObject *edges = SLOT(n, n_edges), *saved = SLOT(n, n_saved);
        if (edges == NULL || saved == NULL || SLOT(n, n_key) == NULL || SLOT(n, n_out_avals) == NULL
                || !PyList_CheckExact(edges) || !PyList_Check(saved)) {
            result = Py_NewRef(Py_None);
            goto done;
        }
        Py_ssize_t ne = 0;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(edges); j++) ne += PyList_GET_ITEM(edges, j) != Py_None;
        PyObject *targets = PyTuple_New(ne);
        if (targets == NULL) goto done;
        for (Py_ssize_t j = 0, t = 0; j < PyList_GET_SIZE(edges); j++) {
            PyObject *e = PyList_GET_ITEM(edges, j);
            if (e == Py_None) continue;
            PyObject *tg = node_target(e, index, leaves, leaf_index);
            if (tg == NULL) { Py_DECREF(targets); goto done; }
            PyTuple_SET_ITEM(targets, t++, tg);
        }
        PyObject *step = PyTuple_Pack(4, PyDict_GetItem(index, n), SLOT(n, n_key), targets, SLOT(n, n_out_avals));
        Py_DECREF(targets);
        if (step == NULL) goto done;
        PyTuple_SET_ITEM(steps, k, step);
        PyObject *size = PyLong_FromSsize_t(PyList_GET_SIZE(saved));
        if (size == NULL) goto done;
        PyTuple_SET_ITEM(sizes, k, size);
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(saved); j++)
            if (PyList_Append(flat, PyList_GET_ITEM(saved, j)) < 0) goto done;
    }
    roots = PyTuple_New(PyList_GET_SIZE(root_edges));
    if (roots == NULL) goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(root_edges); i++) {
        PyObject *tg = node_target(PyList_GET_ITEM(root_edges, i), index, leaves, leaf_index);
        if (tg == NULL) goto done;
        PyTuple_SET_ITEM(roots, i, tg);
    }
    result = PyTuple_Pack(7, steps, flat, sizes, leaves, leaf_index, index, roots);
done:
    Py_XDECREF(index); Py_XDECREF(leaves); Py_XDECREF(leaf_index); Py_XDECREF(steps); Py_XDECREF(flat);
    Py_XDECREF(sizes); Py_XDECREF(roots);
    return result;
}

static PyObject *native_apply(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs == 2 || nargs == 3) {
        PyObject *statics = nargs == 3 ? args[2] : PyTuple_New(0);
        if (statics == NULL) return NULL;
        PyObject *r = fast(args[0], args[1], statics);
        if (nargs == 2) Py_DECREF(statics);
        if (r != FALLBACK) return r;
    }
    return PyObject_Vectorcall(py_apply, args, nargs, NULL);
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
