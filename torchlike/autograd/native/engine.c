/* The backward engine's planning (engine._walk, engine._Layout) for a pass without hooks. */
#include "native.h"

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

/* One edge of the walk: a leaf's accumulator marks the walk hooked where its tensor has hooks;
 * a node joins ``order`` once. 0: done; 1: an edge of another kind (the Python walk); -1: error. */
static int visit(PyObject *e, PyObject *seen, PyObject *order, int *hooked)
{
    if (!PyTuple_CheckExact(e) || PyTuple_GET_SIZE(e) != 2) return 1;
    PyObject *t = PyTuple_GET_ITEM(e, 0);
    if (Py_IS_TYPE(t, Acc_T)) {
        int h = acc_hooked(t);
        if (h < 0) return -1;
        *hooked |= h;
        return 0;
    }
    int in = PySet_Contains(seen, t);
    if (in < 0 || (!in && (PySet_Add(seen, t) < 0 || PyList_Append(order, t) < 0))) return -1;
    return 0;
}

typedef struct { long long seq; PyObject *node; } Seq;

static int by_seq_desc(const void *a, const void *b)
{
    long long x = ((const Seq *)a)->seq, y = ((const Seq *)b)->seq;
    return (x < y) - (x > y);
}

/* engine._walk(roots): see there; None where the graph holds a node or edge of another kind */
PyObject *walk(PyObject *self, PyObject *roots)
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
        int v = visit(PyList_GET_ITEM(roots, i), seen, order, &hooked);
        if (v) { if (v < 0) goto done; goto python; }
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
            int v = e == Py_None ? 0 : visit(e, seen, order, &hooked);
            if (v) { if (v < 0) goto done; goto python; }
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

PyObject *layout(PyObject *self, PyObject *args)
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

