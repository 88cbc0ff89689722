/* Headers.__setitem__ (the twin is in header_structures.py).
 *
 * headers_setitem(self, name, value) is Headers.__setitem__, a method
 * descriptor of object that header_structures.py installs on the class once
 * configure_headers() has the Python method: a str value goes through
 * add_new_field (added: done; a field of that name: self._replace, as the
 * Python method does); everything else, and what add_new_field declines, is
 * the Python method's.
 */
#include "_speedups.h"

static PyObject *headers_python_setitem; /* the Python Headers.__setitem__ */
static PyObject *str_list, *str_replace;

PyObject *
configure_headers(PyObject *module, PyObject *setitem)
{
    if (!PyCallable_Check(setitem)) {
        PyErr_SetString(PyExc_TypeError, "configure_headers takes a callable");
        return NULL;
    }
    INTERN(str_list, "_list");
    INTERN(str_replace, "_replace");
    Py_INCREF(setitem);
    Py_XSETREF(headers_python_setitem, setitem);
    Py_RETURN_NONE;
}

PyObject *
headers_setitem(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (headers_python_setitem == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "configure_headers was not called");
        return NULL;
    }
    if (nargs == 2 && PyUnicode_CheckExact(args[1])) {
        PyObject *fields = PyObject_GetAttr(self, str_list);
        if (fields == NULL) {
            return NULL;
        }
        PyObject *call[3] = {fields, args[0], args[1]};
        PyObject *added = add_new_field(NULL, call, 3);
        Py_DECREF(fields);
        if (added == NULL) {
            return NULL;
        }
        Py_DECREF(added); /* a singleton: True, False or None */
        if (added == Py_True) {
            Py_RETURN_NONE;
        }
        if (added == Py_False) { /* a field of that name: replace it */
            PyObject *field = PyTuple_Pack(2, args[0], args[1]);
            if (field == NULL) {
                return NULL;
            }
            PyObject *replacement = PyList_New(1);
            if (replacement == NULL) {
                Py_DECREF(field);
                return NULL;
            }
            PyList_SET_ITEM(replacement, 0, field);
            PyObject *done = PyObject_CallMethodObjArgs(self, str_replace, args[0],
                                                        replacement, NULL);
            Py_DECREF(replacement);
            if (done == NULL) {
                return NULL;
            }
            Py_DECREF(done);
            Py_RETURN_NONE;
        }
    }
    return call_python_method(headers_python_setitem, self, args, nargs, NULL);
}
