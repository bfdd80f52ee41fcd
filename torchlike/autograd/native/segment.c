/* An op deferred into the current segment, as lazy.record defers it. */
#include "native.h"

/* lazy.record's work for one op, split so that nothing changes until every check has passed:
 * ``prepare`` finds each input's reference and the op's output avals, ``commit`` appends the op. */

void prep_clear(Prep *pr)
{
    for (Py_ssize_t k = 0; k < pr->nnew; k++) Py_DECREF(pr->newsig[k]);
    pr->nnew = 0;
}

/* 1: ready to commit; 0: the Python path must run; -1: an error. ``recording``: the op records
 * a node (a forward op cannot join a segment that holds a backward pass). */
int prepare(Prep *pr, PyObject *seg, PyObject *eid, PyObject *const *xs, Py_ssize_t n, int recording)
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
PyObject *commit(Prep *pr)
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
PyObject *pending_storage(PyObject *p)
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

/* lazy._current, a new reference (Python code run meanwhile, another thread's read of a value,
 * may end the segment), or NULL with an error set */
PyObject *current_segment(void)
{
    PyObject *seg = PyDict_GetItemWithError(lazy_dict, s_current);
    if (seg == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "lazy._current is missing");
    return Py_XNewRef(seg);
}

/* lazy.record(entry, xs, recording=False): its common case, every input an array, a value of
 * the current segment or None (a fused backward pass, an optimizer's update) */
PyObject *native_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs >= 2 && nargs <= 3 && PyTuple_CheckExact(args[0]) && PyTuple_GET_SIZE(args[0]) == 3
            && PyList_CheckExact(args[1])) {
        PyObject *eid = PyTuple_GET_ITEM(args[0], 2), *seg = current_segment();
        if (seg == NULL) return NULL;
        int recording = nargs == 3 ? truthy(args[2]) : 0;
        Prep pr;
        int ready = recording < 0 ? -1 : eid == Py_None ? 0
                    : prepare(&pr, seg, eid, &PyList_GET_ITEM(args[1], 0), PyList_GET_SIZE(args[1]), recording);
        PyObject *p = ready > 0 ? commit(&pr) : NULL;
        Py_DECREF(seg);
        if (ready) return p;
    }
    return PyObject_Vectorcall(py_record, args, nargs, NULL);
}

/* lazy._alive_indices: indices of the items of a list that something else refers to */
PyObject *alive_indices(PyObject *self, PyObject *items)
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

