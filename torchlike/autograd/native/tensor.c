/* Tensors and nodes made as Tensor._wrap_storage and record._record make them, and an op's
 * result written into a tensor in place (Tensor._set_result). */
#include "native.h"

PyObject *new_tensor(PyObject *storage, PyObject *node)  /* steals storage */
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
PyObject *saved_check(PyObject *a, PyObject *index)
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

/* record._record for one differentiable output (shape, dtype); ``diff``: bit i, argument i
 * requires grad */
PyObject *record_node(PyObject *cls, PyObject *spec, PyObject *fkey, PyObject *const *args, Py_ssize_t n,
                      PyObject **xs, PyObject **sig, PyObject *out_shape, PyObject *out_dtype, unsigned long diff)
{
    PyObject *node = NULL, *edges = NULL, *checks = NULL, *saved = NULL, *avals = NULL, *saves = NULL;
    PyObject *seq = NULL, *pos = NULL;
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
    /* None: every input; else {input: mask of the inputs whose gradients read it} */
    saves = PyObject_GetAttr(spec, s_saves);
    if (saves == NULL) goto error;
    if (saves != Py_None && !PyDict_CheckExact(saves)) {
        PyErr_SetString(PyExc_TypeError, "an op's saves must be None or a dict of masks");
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = args[i];
        if (!PyObject_TypeCheck(a, Tensor_T)) continue;
        if (diff >> i & 1) {
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
        }
        int keep = saves == Py_None;
        if (!keep) {
            PyObject *idx = PyLong_FromSsize_t(i);
            if (idx == NULL) goto error;
            PyObject *mask = PyDict_GetItemWithError(saves, idx);  /* borrowed */
            Py_DECREF(idx);
            if (mask == NULL && PyErr_Occurred()) goto error;
            long long m = mask == NULL ? 0 : PyLong_AsLongLong(mask);
            if (m == -1 && PyErr_Occurred()) goto error;
            keep = (m & (long long)diff) != 0;
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

/* -- results into tensors ----------------------------------------------------------------------- */

/* record.wrap_any(x): a Tensor without a node over a deferred result, in C where it is one of a
 * segment still recording (a backward pass's gradients) */
PyObject *wrap_any(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
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

PyMethodDef set_result_def = {"_set_result", (PyCFunction)(void (*)(void))set_result, METH_FASTCALL,
                                     "Makes ``self`` hold ``result`` in place (Tensor._set_result)."};

