/* record.apply: an op's arguments read, its cached function found, then deferred or run at the call. */
#include "native.h"

static PyObject *fast(PyObject *spec, PyObject *targs, PyObject *statics)
{
    PyObject *xs[MAXARGS], *sig[MAXARGS];
    Py_ssize_t n, i;
    PyObject *result = FALLBACK;
    PyObject *fkey = NULL, *lazy = NULL, *enabled_o = NULL, *first = NULL;
    PyObject *grad_name = NULL, *cls = NULL, *node = NULL, *out_dtype = NULL, *out = NULL, *out_aval = NULL;
    PyObject *seg = NULL;
    unsigned long rg = 0;   /* bit i: argument i requires grad */
    int enabled, record, with_node = 0, ready, prepared = 0;
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
            if (r) rg |= 1UL << i;
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
    record = rg != 0 && enabled;

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
        Py_INCREF(entry);  /* the call may run other threads */
        out = PyObject_Vectorcall(PyTuple_GET_ITEM(entry, 1), xs, n, NULL);
        Py_DECREF(entry);
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
            node = record_node(cls, spec, fkey, args, n, xs, sig, shape, out_dtype, rg);
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
    Py_XDECREF(grad_name); Py_XDECREF(cls); Py_XDECREF(node); Py_XDECREF(seg);
    return result;
}

PyObject *native_apply(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
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

